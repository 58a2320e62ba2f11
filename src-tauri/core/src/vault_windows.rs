//! Windows: API keys stay on this machine.
//!
//! `keyring` 3.6 writes Generic credentials with `CRED_PERSIST_ENTERPRISE`, which roams
//! with a domain user's profile to other machines. Serene writes them itself with
//! `CRED_PERSIST_LOCAL_MACHINE`, under the same target name and the same UTF-16LE blob
//! encoding keyring uses (`{account}.{service}`), so reading and deleting still go
//! through keyring. This mirrors keyring's own `save_credential` line for line.

use windows_sys::Win32::Foundation::{
    GetLastError, ERROR_ACCESS_DENIED, ERROR_NO_SUCH_LOGON_SESSION, FILETIME,
};
use windows_sys::Win32::Security::Credentials::{
    CredWriteW, CREDENTIALW, CREDENTIAL_ATTRIBUTEW, CRED_FLAGS, CRED_PERSIST_LOCAL_MACHINE,
    CRED_TYPE_GENERIC,
};
use zeroize::Zeroize;

use crate::vault::StoreFault;

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(std::iter::once(0)).collect()
}

pub fn write_local_machine(service: &str, account: &str, secret: &str) -> Result<(), StoreFault> {
    let mut target_name = wide(&format!("{account}.{service}"));
    let mut username = wide(account);
    let mut target_alias = wide("");
    let mut comment = wide("Serene API key");
    let mut units: Vec<u16> = secret.encode_utf16().collect();
    let mut blob: Vec<u8> = units.iter().flat_map(|unit| unit.to_le_bytes()).collect();
    units.zeroize();
    let credential = CREDENTIALW {
        Flags: CRED_FLAGS::default(),
        Type: CRED_TYPE_GENERIC,
        TargetName: target_name.as_mut_ptr(),
        Comment: comment.as_mut_ptr(),
        // Ignored by CredWriteW.
        LastWritten: FILETIME {
            dwLowDateTime: 0,
            dwHighDateTime: 0,
        },
        CredentialBlobSize: blob.len() as u32,
        CredentialBlob: blob.as_mut_ptr(),
        Persist: CRED_PERSIST_LOCAL_MACHINE,
        AttributeCount: 0,
        Attributes: std::ptr::null_mut::<CREDENTIAL_ATTRIBUTEW>(),
        TargetAlias: target_alias.as_mut_ptr(),
        UserName: username.as_mut_ptr(),
    };
    // SAFETY: every pointer in `credential` points into a Vec that outlives the call.
    let written = unsafe { CredWriteW(&credential, 0) };
    let fault = (written == 0).then(|| match unsafe { GetLastError() } {
        ERROR_NO_SUCH_LOGON_SESSION => StoreFault::Unavailable,
        ERROR_ACCESS_DENIED => StoreFault::AccessDenied,
        _ => StoreFault::Other,
    });
    blob.zeroize();
    fault.map_or(Ok(()), Err)
}
