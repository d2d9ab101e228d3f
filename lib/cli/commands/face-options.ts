/** The options `verify`, `search` and `cluster` share: which model, how photos become face crops, and output. */
import type { Command } from 'commander';

/** What the shared options parse to. */
export interface FaceInputOptions { model?: string; aligned?: boolean; faceCheck?: boolean; crop?: string; detector?: string; json?: boolean }

/** Adds the shared options to `cmd` (`modelHelp`: what `--model` accepts there). */
export function faceInputOptions(cmd: Command, modelHelp: string): Command {
  return cmd
    .option('--model <name>', modelHelp)
    .option('--aligned', 'the images are already face crops: skip face detection')
    .option('--no-face-check', 'skip the "is this a face?" check (e.g. for the synthetic faces, which no detector finds)')
    .option('--crop <kind>', "how a detected face is cropped: chip (default, dlib's face chip) or box (the squared aligned box); each has its own fitted threshold")
    .option('--detector <name>', 'face detector: tiny (default, fast) or ssd (slower, finds smaller faces)')
    .option('--json', 'print JSON instead of text');
}
