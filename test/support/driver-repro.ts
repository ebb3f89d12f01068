/**
 * Run as a child process by test/db/driver-patch.test.ts, so that an unpatched driver's uncaught
 * exception kills this process, not the test runner. Prints what happened to a query sent on a
 * reserved connection whose backend was terminated.
 */
import postgres from 'postgres';

const url = process.argv[2]!;
const sql = postgres(url, { max: 2 });
const killer = postgres(url, { max: 1 });
process.on('uncaughtException', (err) => {
  process.stdout.write(`uncaught: ${err.message}\n`);
  process.exit(3);
});
const reserved = await sql.reserve();
const [row] = await reserved<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
await killer`SELECT pg_terminate_backend(${row!.pid})`;
await new Promise((resolve) => setTimeout(resolve, 200));
const outcome = await Promise.race([
  reserved`SELECT 1`.then(() => 'answered', (err: { code?: string }) => `rejected ${err.code}`),
  new Promise<string>((resolve) => setTimeout(() => resolve('hung'), 5_000)),
]);
process.stdout.write(`${outcome}\n`);
process.exit(0);
