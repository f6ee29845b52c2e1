/**
 * Reads the chain key (`logging.chain_key_file`, `audit verify --key`).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { octalMode } from '../private-fs.js';
import { MIN_KEY_BYTES, chainKey, type ChainKey } from './chain-format.js';

/**
 * Read a key file. With `requirePrivate` (the proxy), the file must be a regular
 * file of ours with mode 0600 or narrower: a key others can read lets them
 * rebuild the chain. Symbolic links are not followed.
 * @throws Error naming the file and the problem (unreadable, a link, too open, shorter than 16 bytes)
 */
export function readChainKey(path: string, requirePrivate: boolean): ChainKey {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new Error(code === 'ELOOP' ? `chain key ${path} is a symbolic link; refusing to follow it` : `cannot read chain key ${path}: ${code}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new Error(`chain key ${path} is not a regular file`);
    if (requirePrivate && process.platform !== 'win32') {
      if ((st.mode & 0o077) !== 0) throw new Error(`chain key ${path} has mode ${octalMode(st.mode)}; it must be readable by its owner only (chmod 600 ${path})`);
      if (typeof process.getuid === 'function' && st.uid !== process.getuid()) throw new Error(`chain key ${path} is owned by another user (uid ${st.uid})`);
    }
    const key = chainKey(readFileSync(fd));
    if (key.bytes.length < MIN_KEY_BYTES) throw new Error(`chain key ${path} holds ${key.bytes.length} bytes; at least ${MIN_KEY_BYTES} are needed (e.g. head -c 32 /dev/urandom | base64 > ${path})`);
    return key;
  } finally {
    closeSync(fd);
  }
}
