/** An Autotask zone (data centre). Tenants live in exactly one. */
export type Zone = {
  /** "15" for numbered zones, "prde" / "pres" for the pre-release hosts. */
  id: string;
  /** Human name, e.g. "America West 2"; "Autotask zone N" for numbers we do not know yet. */
  name: string;
  /** Origin of the web portal people log in to, e.g. `https://ww15.autotask.net`. */
  portalUrl: string;
  /** Origin of the REST API: the "Domain" value integrations ask for. */
  apiUrl: string;
};

const KNOWN_ZONE_NAMES: Readonly<Record<string, string>> = {
  "1": "Limited Release",
  "2": "Pre-release",
  "3": "America East",
  "4": "UK",
  "5": "America West",
  "6": "Australia / New Zealand (old)",
  "11": "UK Pre-release",
  "12": "Spanish",
  "14": "America East 2",
  "15": "America West 2",
  "16": "UK2",
  "17": "UK Limited Release",
  "18": "German",
  "19": "EU1 (English Europe and Asia)",
  "22": "America East 3",
  "24": "America West 3",
  "25": "America West 4",
  "26": "Australia 2",
  "28": "UK3",
  "29": "Australia 3",
  prde: "Deutsch Pre-Release",
  pres: "Español Pre-Release",
};

/** Ids of every zone with a known name, numbered zones first in numeric order. */
export const KNOWN_ZONE_IDS: readonly string[] = Object.keys(KNOWN_ZONE_NAMES);

/**
 * The zone with this id. Any number 1-99 is a zone: Autotask opens new ones, and a hard-coded
 * list that rejects them is the most reported bug in public clients.
 */
export function zoneById(id: string): Zone | null {
  if (id === "prde" || id === "pres") {
    const origin = `https://${id}.autotask.net`;
    return { id, name: KNOWN_ZONE_NAMES[id] as string, portalUrl: origin, apiUrl: origin };
  }
  if (!/^[1-9][0-9]?$/.test(id)) return null;
  return {
    id,
    name: KNOWN_ZONE_NAMES[id] ?? `Autotask zone ${id}`,
    portalUrl: `https://ww${id}.autotask.net`,
    apiUrl: `https://webservices${id}.autotask.net`,
  };
}
