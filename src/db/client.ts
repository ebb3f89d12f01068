import postgres from 'postgres';

export type Sql = postgres.Sql;
/** A transaction handle or the pool itself: repository functions accept either. */
export type Tx = postgres.TransactionSql | postgres.Sql;

// bigint (int8) comes back as a JS number, not a string: amounts are bounded far below 2^53
// (src/domain/money.ts) and balances within it (004_balances_within_exact_range.sql); any larger
// value fails loudly here rather than lose its last digits.
const int8AsNumber = {
  to: 20,
  from: [20],
  serialize: (value: number) => String(value),
  parse: (value: string) => {
    const number = Number(value);
    if (!Number.isSafeInteger(number)) throw new RangeError(`int8 ${value} is beyond 2^53 and cannot be read exactly`);
    return number;
  },
};

export function createSql(url: string, options: { max?: number } = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    types: { bigint: int8AsNumber },
    transform: { undefined: null },
    onnotice: () => undefined,
    connection: { application_name: 'marketplace-orders' },
  });
}

/** A piece of SQL built with `sql\`…\`` and spliced into another query (a WHERE clause). */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;
