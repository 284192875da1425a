import { InvalidInputError } from '../../functions/domain/errors.ts';

/** The error a read throws; fails the test when the read accepts its input. */
export function refusalOf(read: () => unknown): InvalidInputError {
  let accepted: unknown;
  try {
    accepted = read();
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error(`expected a refusal, but the input was read as ${JSON.stringify(accepted)}`);
}
