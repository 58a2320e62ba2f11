// Records every CSP violation the page reports. The end-to-end suite fails on any it did not
// provoke itself; in normal use they are only kept in memory for diagnosis.

export interface CspViolation {
  directive: string;
  blocked: string;
}

declare global {
  interface Window {
    __sereneCspViolations?: CspViolation[];
  }
}

export function watchCspViolations(target: Window = window): void {
  const seen: CspViolation[] = (target.__sereneCspViolations ??= []);
  target.document.addEventListener("securitypolicyviolation", (event) => {
    seen.push({ directive: event.effectiveDirective, blocked: event.blockedURI });
  });
}
