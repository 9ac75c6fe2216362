export async function run(argv: string[]): Promise<void> {
  process.stdout.write(`dupip ${argv.join(' ')}\n`);
}
