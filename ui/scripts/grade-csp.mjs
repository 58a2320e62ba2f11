// Grades a Content-Security-Policy with Google's csp_evaluator (the library behind
// csp-evaluator.withgoogle.com), with its default and strict-CSP checks.
//
//   node ui/scripts/grade-csp.mjs FILE   (FILE holds the policy, as the header's value)
//
// Exits 0 only if there is no HIGH, HIGH_MAYBE or SYNTAX finding (these can never be
// accepted) and every MEDIUM, MEDIUM_MAYBE or STRICT_CSP finding is listed in ACCEPTED
// below with its reason. An accepted entry the policy no longer causes is an error too,
// so the list always says exactly what is being accepted. INFO findings are printed only.
//
// tests/csp_grade.rs runs this on the header the built app serves for index.html.

import { readFileSync } from 'node:fs';
import {
  CspEvaluator,
  DEFAULT_CHECKS,
  STRICTCSP_CHECKS,
} from 'csp_evaluator/dist/evaluator.js';
import { CspParser } from 'csp_evaluator/dist/parser.js';
import { Severity, Type } from 'csp_evaluator/dist/finding.js';

/** Findings that may stand, each matched on type, directive and value, with the reason. */
const ACCEPTED = [
  {
    type: 'SRC_HTTP',
    directive: 'connect-src',
    value: 'http://ipc.localhost',
    reason:
      "Tauri's own IPC origin. On Windows (WebView2) and Android custom protocols are " +
      'served as http://<scheme>.localhost, so invoke() posts to http://ipc.localhost; ' +
      'the webview answers it in-process from the app, it never reaches a network, so ' +
      'HTTPS would protect nothing. Without it the UI cannot call the core there.',
  },
  {
    type: 'SCRIPT_ALLOWLIST_BYPASS',
    directive: 'script-src',
    value: "'self'",
    reason:
      "'self' is the app's own protocol (tauri://localhost), which serves only the " +
      'bundled, built UI embedded in the binary: no JSONP endpoint, no AngularJS, no ' +
      'user-uploaded files (the asset protocol is not enabled). Remote pages and the ' +
      'Tavus room are other origins.',
  },
  {
    type: 'UNSAFE_INLINE_FALLBACK',
    directive: 'script-src',
    value: undefined,
    reason:
      "The advice is to add 'unsafe-inline' as a fallback for browsers too old for CSP " +
      "hashes. Serene's policy is only ever enforced by the webviews it ships on " +
      '(WebView2, WKWebView on macOS 11+, WebKitGTK 4.1), which all honour the hashes ' +
      'Tauri adds; the fallback would only open inline script where hashes are ignored.',
  },
];

/** Severities that fail whatever the accepted list says. */
const NEVER_ACCEPTED = new Set([Severity.HIGH, Severity.HIGH_MAYBE, Severity.SYNTAX]);
/** Severities that fail unless accepted. */
const NEEDS_ACCEPTANCE = new Set([
  Severity.MEDIUM,
  Severity.MEDIUM_MAYBE,
  Severity.STRICT_CSP,
]);

const file = process.argv[2];
if (!file) {
  console.error('usage: node grade-csp.mjs FILE (a file holding the policy)');
  process.exit(2);
}
const policy = readFileSync(file, 'utf8').trim();
if (!policy) {
  console.error(`grade-csp: ${file} holds no policy`);
  process.exit(2);
}

console.log('Graded policy:');
for (const directive of policy.split(';')) {
  if (directive.trim()) console.log(`  ${directive.trim()};`);
}

const parsed = new CspParser(policy).csp;
const findings = new CspEvaluator(parsed).evaluate(undefined, [
  ...DEFAULT_CHECKS,
  ...STRICTCSP_CHECKS,
]);

const matches = (entry, finding) =>
  entry.type === Type[finding.type] &&
  entry.directive === finding.directive &&
  entry.value === finding.value;

const failures = [];
const used = new Set();
console.log(`\ncsp_evaluator findings (${findings.length}):`);
for (const finding of findings) {
  const severity = Severity[finding.severity] ?? String(finding.severity);
  const where = [finding.directive, finding.value].filter(Boolean).join(' ');
  const accepted = ACCEPTED.find((entry) => matches(entry, finding));
  let verdict;
  if (NEVER_ACCEPTED.has(finding.severity)) {
    verdict = 'FAIL';
    failures.push(finding);
  } else if (NEEDS_ACCEPTANCE.has(finding.severity)) {
    if (accepted) {
      verdict = 'accepted';
      used.add(accepted);
    } else {
      verdict = 'FAIL (not in the accepted list)';
      failures.push(finding);
    }
  } else {
    verdict = 'info';
  }
  console.log(`  [${severity}] ${Type[finding.type]} (${where}): ${finding.description}`);
  console.log(`      -> ${verdict}${accepted && verdict === 'accepted' ? `: ${accepted.reason}` : ''}`);
}

const stale = ACCEPTED.filter((entry) => !used.has(entry));
for (const entry of stale) {
  console.log(
    `  accepted entry ${entry.type} (${entry.directive} ${entry.value ?? ''}) matched ` +
      'nothing: remove it from ACCEPTED in grade-csp.mjs',
  );
}

if (failures.length > 0 || stale.length > 0) {
  console.error(
    `\nCSP grade: FAIL (${failures.length} finding(s) not allowed, ${stale.length} stale acceptance(s))`,
  );
  process.exit(1);
}
console.log('\nCSP grade: pass (no HIGH, HIGH_MAYBE or SYNTAX; every MEDIUM accepted with its reason)');
