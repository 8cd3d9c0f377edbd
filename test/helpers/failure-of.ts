import { isProvisionerError, type ProvisionerError } from '../../functions/shared/errors';

/** The product's failure a promise rejects with; anything else, or no failure, fails the test. */
export const failureOf = async (promise: Promise<unknown>): Promise<ProvisionerError> => {
  try {
    await promise;
  } catch (error) {
    if (isProvisionerError(error)) {
      return error;
    }
    throw error;
  }
  throw new Error('expected the call to fail');
};
