// Client adapter for our reference EventSource (reference/client.ts: our parser over undici's fetch):
// `--exec "node --import tsx conformance/client/adapters/reference.ts"`. Protocol: conformance/client/drivers/exec.ts.
import { runAdapter } from './run-adapter.ts';

runAdapter('sse-conformance reference client');
