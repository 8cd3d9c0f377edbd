import type { LeafRoute, Provider } from './types';

/** A Leaf path, resolved to the route that serves it. */
export type RouteMatch =
  | { readonly route: 'authenticate' }
  | {
      readonly route: 'credentials';
      readonly userId: string;
      readonly provider: Provider;
      readonly events: boolean;
    }
  | { readonly route: 'alerts'; readonly webhookId?: string }
  | { readonly route: 'unknown' };

/** Where the control API lives; nothing under it is a Leaf route. */
export const controlPrefix = '/__sandbox/';

const credentialsPath =
  /^\/services\/usermanagement\/api\/users\/([^/]+)\/(cnhi-credentials|cnhi-field-ops-credentials)(\/events)?$/;

const alertsPath = /^\/services\/alerts\/api\/alerts\/webhooks(?:\/([^/]+))?$/;

const providers: Readonly<Record<string, Provider>> = {
  'cnhi-credentials': 'cnhi',
  'cnhi-field-ops-credentials': 'cnhi-fieldops',
};

const decode = (segment: string): string => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
};

/** Resolves a Leaf path (no query string). */
export const matchRoute = (path: string): RouteMatch => {
  if (path === '/api/authenticate') {
    return { route: 'authenticate' };
  }
  const credentials = credentialsPath.exec(path);
  if (credentials !== null) {
    return {
      route: 'credentials',
      userId: decode(credentials[1] as string),
      provider: providers[credentials[2] as string] as Provider,
      events: credentials[3] !== undefined,
    };
  }

  const alerts = alertsPath.exec(path);
  if (alerts !== null) {
    return alerts[1] === undefined
      ? { route: 'alerts' }
      : { route: 'alerts', webhookId: decode(alerts[1]) };
  }

  return { route: 'unknown' };
};

/** The route name fault rules match on, undefined for unknown paths. */
export const faultRoute = (match: RouteMatch): LeafRoute | undefined =>
  match.route === 'unknown' ? undefined : match.route;
