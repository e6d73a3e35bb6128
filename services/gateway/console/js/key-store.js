// @ts-check
// "Remember on this device": the non-extractable CryptoKey itself is stored in IndexedDB (structured
// clone keeps it non-extractable), so even this origin's scripts can sign with it but never read it.

const DB = "airlock-console";
const STORE = "identity";
const KEY = "reviewer";

/** @typedef {{ reviewer: string, publicKey: string, key: CryptoKey }} Identity */

/** @returns {Promise<IDBDatabase>} */
function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/**
 * @template T
 * @param {IDBTransactionMode} mode
 * @param {(store: IDBObjectStore) => IDBRequest<T>} action
 * @returns {Promise<T>}
 */
async function run(mode, action) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  } finally {
    db.close();
  }
}

/** @param {Identity} identity */
export function saveIdentity(identity) {
  return run("readwrite", (store) => store.put(identity, KEY));
}

/** @returns {Promise<Identity | undefined>} */
export async function loadIdentity() {
  if (!globalThis.indexedDB) return undefined;
  return /** @type {Identity | undefined} */ (await run("readonly", (store) => store.get(KEY)));
}

export function forgetIdentity() {
  return run("readwrite", (store) => store.delete(KEY));
}
