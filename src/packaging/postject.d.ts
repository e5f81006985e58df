/** postject (the Node.js project's resource injector) ships no types: the one function used. */
declare module 'postject' {
  export function inject(filename: string, resourceName: string, resourceData: Uint8Array, options?: { sentinelFuse?: string; overwrite?: boolean }): Promise<void>;
}
