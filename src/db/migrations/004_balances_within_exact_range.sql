-- Balances are read into JavaScript numbers, exact up to 2^53 − 1 (src/db/client.ts). One amount is
-- bounded far below that (MAX_AMOUNT), but a balance adds amounts up (the external wallet holds minus
-- every deposit ever made): the write that would carry a balance out of the exact range is refused
-- here, rather than every later read of that wallet.
ALTER TABLE wallets ADD CONSTRAINT wallets_balance_exact
  CHECK (balance BETWEEN -9007199254740991 AND 9007199254740991);
