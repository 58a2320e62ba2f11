// The session languages Tavus documents, by the full names it takes, and `multilingual`
// (automatic detection). The core's `SESSION_LANGUAGES` is the authority; a unit test
// keeps this copy equal to it.
export const SESSION_LANGUAGES = [
  "English", "French", "German", "Spanish", "Portuguese", "Chinese", "Japanese", "Hindi",
  "Italian", "Korean", "Dutch", "Polish", "Russian", "Swedish", "Turkish", "Tagalog",
  "Bulgarian", "Romanian", "Arabic", "Czech", "Greek", "Finnish", "Croatian", "Malay",
  "Slovak", "Danish", "Tamil", "Ukrainian", "Hungarian", "Norwegian", "Vietnamese",
  "Bengali", "Thai", "Hebrew", "Georgian", "Indonesian", "Telugu", "Gujarati", "Kannada",
  "Malayalam", "Marathi", "Punjabi", "multilingual",
] as const;

/** What a person reads for a language value. */
export function languageLabel(value: string): string {
  return value === "multilingual" ? "Detect automatically (multilingual)" : value;
}

/** How a choice reads in a picker: a replica that cannot be used says why. */
export function choiceLabel(choice: { name: string; unavailable?: boolean; status?: string; maxCharacters?: number }): string {
  if (choice.unavailable) {
    const why = choice.status === "error" ? "failed to train" : choice.status === "started" ? "still training" : choice.status ?? "not ready";
    return `${choice.name} (not available: ${why})`;
  }
  if (choice.maxCharacters) return `${choice.name} (up to ${choice.maxCharacters.toLocaleString("en")} characters)`;
  return choice.name;
}
