/** The `none` backend: decisions are recorded and shown, nothing is enforced. */
import type { BlockBackend, LiveBlock } from '../types.js';

export class NoneBackend implements BlockBackend {
  readonly name = 'none';
  readonly maxKernelTimeoutSec = 0;
  readonly needsRemoveBeforeFlush = false;
  async ensure(): Promise<void> {}
  async add(): Promise<void> {}
  async remove(): Promise<void> {}
  async list(): Promise<LiveBlock[]> {
    return [];
  }
  async flush(): Promise<void> {}
  async present(): Promise<boolean> {
    return true;
  }
  async sync(): Promise<void> {}
}
