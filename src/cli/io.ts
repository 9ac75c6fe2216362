/** Where commands write: injected so tests need no process stdout. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  isTty: boolean;
}

export const processIo: Io = {
  out: (t) => void process.stdout.write(t),
  err: (t) => void process.stderr.write(t),
  isTty: Boolean(process.stdout.isTTY),
};
