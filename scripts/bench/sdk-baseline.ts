import { awsClients } from '../../functions/shared/aws-clients';

/**
 * The cold-start reference of `npm run bench`: a bundle that builds the same AWS SDK clients as the
 * functions (functions/shared/aws-clients.ts) and does nothing else. Building them, not only
 * importing them, keeps esbuild from shaking the unused imports away, and any function must.
 */
export const clients = awsClients();
