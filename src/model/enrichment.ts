/** What the enrich stage attaches to a source. Types only. */

export interface GeoInfo {
  country: string | null;
  asn: number | null;
  asOrg: string | null;
  city: string | null;
}

export interface ReputationMatch {
  feed: string;
  dl: number;
  /** The listed entry that matched (address or CIDR). */
  entry: string;
}
