/**
 * A deliberately broken build, made in the chaos system's own database only, to show that the run
 * catches a rule the model does not share with the code. Nothing here exists in the product.
 *
 * short-refund: every refund's transfer row is written one halala short (a trigger rewrites the
 * amount before the insert), as a refund computed from the wrong figure would be. The wallets still
 * move the full amount, so the balances the API shows agree with the model; the ledger no longer adds
 * up, and the after-step reconciliation fails on the first cancelled delivery.
 */
import { createSql } from '../../src/db/client.js';

export type Breakage = 'short-refund';

export async function breakBuild(databaseUrl: string, breakage: Breakage, log: (line: string) => void): Promise<void> {
  if (breakage !== 'short-refund') throw new Error(`unknown CHAOS_BREAK ${String(breakage)}; the one known is short-refund`);
  const sql = createSql(databaseUrl, { max: 1 });
  try {
    await sql.unsafe(`
      CREATE FUNCTION chaos_short_refund() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.kind = 'refund' THEN NEW.amount := NEW.amount - 1; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER chaos_short_refund BEFORE INSERT ON transfers FOR EACH ROW EXECUTE FUNCTION chaos_short_refund();
    `);
  } finally {
    await sql.end();
  }
  log('CHAOS_BREAK=short-refund: every refund transfer is now written one halala short (in this run\'s database only)');
}
