// Crisis lines shipped inside the app so the help dialog works offline and without the
// core. Websites are opened by id through the core's allowlist (serene-core/src/crisis.rs).

export interface CrisisLine {
  region: string;
  service: string;
  contact: string;
  detail: string;
  linkId: string;
  linkLabel: string;
}

export const CRISIS_LINES: readonly CrisisLine[] = [
  {
    region: "United States",
    service: "988 Suicide & Crisis Lifeline",
    contact: "Call or text 988",
    detail: "Free, confidential, 24 hours a day.",
    linkId: "us-988",
    linkLabel: "988lifeline.org",
  },
  {
    region: "Canada",
    service: "9-8-8 Suicide Crisis Helpline",
    contact: "Call or text 988",
    detail: "Free, in English and French, 24 hours a day.",
    linkId: "ca-988",
    linkLabel: "988.ca",
  },
  {
    region: "United Kingdom & Ireland",
    service: "Samaritans",
    contact: "Call 116 123",
    detail: "Free from any phone, 24 hours a day.",
    linkId: "uk-ie-samaritans",
    linkLabel: "samaritans.org",
  },
  {
    region: "Australia",
    service: "Lifeline",
    contact: "Call 13 11 14",
    detail: "24 hours a day, or text 0477 13 11 14.",
    linkId: "au-lifeline",
    linkLabel: "lifeline.org.au",
  },
  {
    region: "Anywhere else",
    service: "Find A Helpline",
    contact: "findahelpline.com",
    detail: "Free, confidential helplines in more than 130 countries.",
    linkId: "findahelpline",
    linkLabel: "findahelpline.com",
  },
];

export const EMERGENCY_NOTE =
  "If you or someone else is in immediate danger, call your local emergency number now (for example 911, 999, 112 or 000).";
