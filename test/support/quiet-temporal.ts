import { DefaultLogger, Runtime } from '@temporalio/worker';

// Workers log every state change at INFO; in tests only warnings and errors are worth reading.
// Installing fails when this test file's process already has a runtime, which is fine.
try {
  Runtime.install({ logger: new DefaultLogger('WARN') });
} catch {
  /* a runtime is already installed */
}
