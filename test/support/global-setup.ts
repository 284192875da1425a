import { assertSupportedNode } from '../../local/node-version.ts';

/** The tests run on the Lambda runtime's Node.js (22); npm's scripts bring it (the pinned `node` package). */
export default function setup(): void {
  assertSupportedNode();
}
