/** The enrich stage's public surface, for daemon/ and cli/. */
export { Enricher, type EnricherOptions, type SourceEnrichment } from './enricher.js';
export { GeoLookup, builtinCountryDbPath, geoDbPaths, type GeoDbInfo } from './geoip.js';
export { FeedSet, type FeedInfo, type FeedLoadOptions, type FeedUpdateOptions, type FeedUpdateResult, type FeedUpdateStatus } from './feed-set.js';
export { ReverseDns, cleanHostname, type ReverseDnsOptions } from './reverse-dns.js';
