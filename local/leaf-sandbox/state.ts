import { randomUUID } from 'node:crypto';
import { leafTimestamp } from './leaf-time';
import type { CredentialInput, LeafCredential, LeafCredentialEvent, Provider } from './types';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` has the shape of a Leaf user id. */
export const isUuid = (id: string): boolean => uuidPattern.test(id);

const key = (userId: string, provider: Provider): string => `${userId.toLowerCase()}|${provider}`;

/** Leaf users and the CNHI credentials they hold: at most one per user and provider. */
export class CredentialStore {
  readonly #users = new Set<string>();
  readonly #credentials = new Map<string, LeafCredential>();
  readonly #events = new Map<string, LeafCredentialEvent[]>();

  /** Registers a Leaf user; ids are compared case-insensitively, as UUIDs are. */
  addUser(userId: string): void {
    if (!isUuid(userId)) {
      throw new RangeError(`A Leaf user id must be a UUID (given ${JSON.stringify(userId)})`);
    }
    this.#users.add(userId.toLowerCase());
  }

  /** True when the Leaf user is known. */
  hasUser(userId: string): boolean {
    return this.#users.has(userId.toLowerCase());
  }

  /** Known Leaf user ids, lower case. */
  users(): string[] {
    return [...this.#users];
  }

  /** The credential held for a user and provider. */
  get(userId: string, provider: Provider): LeafCredential | undefined {
    return this.#credentials.get(key(userId, provider));
  }

  /** Stores a new credential (a fresh id and creation time), replacing any held one. */
  put(userId: string, provider: Provider, input: CredentialInput): LeafCredential {
    const credential: LeafCredential = {
      id: randomUUID(),
      status: 'OK',
      createdTime: leafTimestamp(),
      clientEnvironment: input.clientEnvironment,
      clientId: input.clientId,
      clientSecret: input.clientSecret,
      subscriptionKey: input.subscriptionKey,
      refreshToken: input.refreshToken,
    };
    this.#credentials.set(key(userId, provider), credential);

    return credential;
  }

  /** Removes the credential; false when there was none. */
  remove(userId: string, provider: Provider): boolean {
    return this.#credentials.delete(key(userId, provider));
  }

  /** Changes a held credential's status, as Leaf's background checks do. */
  setStatus(userId: string, provider: Provider, status: string): void {
    const credential = this.get(userId, provider);
    if (credential === undefined) {
      throw new Error(`Leaf user ${userId} holds no ${provider} credential`);
    }
    this.#credentials.set(key(userId, provider), { ...credential, status });
  }

  /** Every held credential with its owner, for the control API. */
  list(): { userId: string; provider: Provider; credential: LeafCredential }[] {
    return [...this.#credentials].map(([entryKey, credential]) => {
      const [userId, provider] = entryKey.split('|') as [string, Provider];

      return { userId, provider, credential };
    });
  }

  /** Appends a call to the user's events log for that provider. */
  recordEvent(userId: string, provider: Provider, method: string, status: number): void {
    const events = this.#events.get(key(userId, provider)) ?? [];
    events.push({ id: randomUUID(), createdTime: leafTimestamp(), method, status });
    this.#events.set(key(userId, provider), events);
  }

  /** The events log, newest first. */
  events(userId: string, provider: Provider): LeafCredentialEvent[] {
    return [...(this.#events.get(key(userId, provider)) ?? [])].reverse();
  }

  /** Forgets credentials and events; users stay. */
  clear(): void {
    this.#credentials.clear();
    this.#events.clear();
  }
}
