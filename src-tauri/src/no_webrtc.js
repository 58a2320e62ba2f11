// Injected natively (not as a page <script>, so the CSP does not apply to it) into every
// frame of the main window before any page script runs. WebRTC is not governed by
// connect-src, so the main page must not have it: every RTC* global becomes a
// non-configurable, non-writable `undefined` that page script cannot delete, redefine or
// shadow. The room never runs here (see webrtc_probe.rs and the room window).
//
// A frame is a fresh set of globals. `frame-src 'none'` stops every frame that loads a
// URL; `about:blank` frames get this script too; but engines do not inject it into
// `srcdoc` documents, so a frame with `srcdoc` is removed before its document can load
// (its navigation is a task; a mutation observer runs first, at the microtask
// checkpoint), in shadow trees too, and the ways to write a document or a declarative
// shadow tree around the observer are removed.
(() => {
  const lock = (target, name, value) => {
    try {
      Object.defineProperty(target, name, {
        value,
        writable: false,
        enumerable: false,
        configurable: false,
      });
    } catch (_) {
      // Already non-configurable: not one of the names this script is about.
    }
  };

  const names = new Set([
    "RTCPeerConnection", "webkitRTCPeerConnection", "mozRTCPeerConnection",
    "RTCDataChannel", "RTCRtpSender", "RTCRtpReceiver", "RTCRtpTransceiver",
    "RTCIceCandidate", "RTCSessionDescription", "RTCDtlsTransport", "RTCIceTransport",
    "RTCSctpTransport", "RTCCertificate", "RTCDTMFSender", "RTCStatsReport",
    "RTCDataChannelEvent", "RTCPeerConnectionIceEvent", "RTCPeerConnectionIceErrorEvent",
    "RTCTrackEvent", "RTCDTMFToneChangeEvent", "RTCError", "RTCErrorEvent",
    "RTCRtpScriptTransform", "RTCEncodedAudioFrame", "RTCEncodedVideoFrame",
    "RTCIdentityAssertion", "RTCTransformEvent",
  ]);
  for (const name of Object.getOwnPropertyNames(globalThis)) {
    if (/^(webkit|moz)?RTC/.test(name)) names.add(name);
  }
  for (const name of names) lock(globalThis, name, undefined);

  const refuse = function () {
    throw new DOMException("Not available in Serene.", "NotSupportedError");
  };
  for (const name of ["open", "write", "writeln"]) {
    if (typeof Document !== "undefined") lock(Document.prototype, name, refuse);
    if (typeof HTMLDocument !== "undefined") lock(HTMLDocument.prototype, name, refuse);
  }
  for (const proto of [
    typeof Element !== "undefined" && Element.prototype,
    typeof ShadowRoot !== "undefined" && ShadowRoot.prototype,
  ]) {
    if (proto) lock(proto, "setHTMLUnsafe", undefined);
  }
  if (typeof Document !== "undefined") lock(Document, "parseHTMLUnsafe", undefined);

  const FRAMES = "iframe[srcdoc], frame[srcdoc]";
  const sweep = (records) => {
    for (const record of records) {
      const nodes = record.type === "attributes" ? [record.target] : record.addedNodes;
      for (const node of nodes) {
        if (node.nodeType !== 1) continue;
        if (node.matches(FRAMES)) node.remove();
        for (const frame of node.querySelectorAll(FRAMES)) frame.remove();
      }
    }
  };
  const watch = (root) => {
    new MutationObserver(sweep).observe(root, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["srcdoc"],
    });
  };
  if (typeof MutationObserver !== "undefined" && typeof Element !== "undefined") {
    watch(document);
    const attachShadow = Element.prototype.attachShadow;
    if (attachShadow) {
      lock(Element.prototype, "attachShadow", function (init) {
        const root = attachShadow.call(this, init);
        watch(root);
        return root;
      });
    }
  }
})();
