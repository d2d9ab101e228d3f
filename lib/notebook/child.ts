/** A fresh "kernel" process for one notebook; see `executeNotebookIsolated`. */
import { childMain } from './execute';

childMain(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.stack : String(err));
  process.exit(2);
});
