/**
 * Which configured trunk a request's source address belongs to: the inbound allowlist check run
 * on every INVITE.
 *
 * The trunks' CIDR blocks are indexed once, at construction, into one hash table per distinct
 * prefix length and address family, longest prefix first. A lookup masks the address with each
 * prefix length in turn and stops at the first table that holds the network, so the most
 * specific block wins (longest-prefix match, as in IP routing, RFC 4632 §5.1) and the cost is one
 * mask and one map probe per distinct prefix length in the config, not per block. IPv4 uses plain
 * 32-bit numbers; only IPv6 pays for bigints.
 */
import { parseCidr, unmapCidr } from '../../config/cidr.js';
import type { TrunkConfig } from '../../config/schema.js';
import { parseSourceAddress } from './source-address.js';

export type Trunk = TrunkConfig;

interface PrefixTable<K> {
  readonly prefix: number;
  readonly mask: K;
  readonly byNetwork: Map<K, Trunk>;
}

export class TrunkMatcher {
  private readonly v4: ReadonlyArray<PrefixTable<number>>;
  private readonly v6: ReadonlyArray<PrefixTable<bigint>>;

  /**
   * @param trunks the validated `config.trunks`. Throws when a block does not parse or the same
   * block belongs to two trunks: the config schema refuses both, so either means the caller
   * skipped validation, and guessing an owner would let calls in under the wrong trunk.
   */
  constructor(trunks: readonly Trunk[]) {
    const v4 = new Map<number, PrefixTable<number>>();
    const v6 = new Map<number, PrefixTable<bigint>>();
    for (const trunk of trunks) {
      for (const text of trunk.addresses) {
        const parsed = parseCidr(text);
        if (!parsed.ok) throw new Error(`trunk ${trunk.name}: address '${text}': ${parsed.reason}`);
        // A block in IPv4-mapped form is the IPv4 block it names: addresses are unmapped before
        // lookup, so it would otherwise never match anything.
        const block = unmapCidr(parsed.value);
        if (block.family === 4) {
          add(v4, block.prefix, v4Mask(block.prefix), Number(block.network), trunk, text);
        } else {
          add(v6, block.prefix, v6Mask(block.prefix), block.network, trunk, text);
        }
      }
    }
    this.v4 = [...v4.values()].sort((a, b) => b.prefix - a.prefix);
    this.v6 = [...v6.values()].sort((a, b) => b.prefix - a.prefix);
  }

  /**
   * The trunk whose most specific block holds `sourceIp`, or undefined (unknown source, or not an
   * IP literal). Accepts what {@link parseSourceAddress} accepts: IPv4, IPv6, `[IPv6]`, and
   * IPv4-mapped IPv6, which matches IPv4 blocks.
   */
  match(sourceIp: string): Trunk | undefined {
    const address = parseSourceAddress(sourceIp);
    if (address === undefined) return undefined;
    if (address.family === 4) {
      const value = Number(address.value);
      for (const table of this.v4) {
        const trunk = table.byNetwork.get((value & table.mask) >>> 0);
        if (trunk !== undefined) return trunk;
      }
      return undefined;
    }
    for (const table of this.v6) {
      const trunk = table.byNetwork.get(address.value & table.mask);
      if (trunk !== undefined) return trunk;
    }
    return undefined;
  }
}

function add<K>(
  tables: Map<number, PrefixTable<K>>,
  prefix: number,
  mask: K,
  network: K,
  trunk: Trunk,
  text: string,
): void {
  let table = tables.get(prefix);
  if (table === undefined) {
    table = { prefix, mask, byNetwork: new Map() };
    tables.set(prefix, table);
  }
  const owner = table.byNetwork.get(network);
  if (owner !== undefined && owner !== trunk) {
    throw new Error(`address '${text}' is in both trunk ${owner.name} and trunk ${trunk.name}`);
  }
  table.byNetwork.set(network, trunk);
}

function v4Mask(prefix: number): number {
  // `<<` takes its count modulo 32, so /0 cannot be written as a shift by 32.
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

function v6Mask(prefix: number): bigint {
  const all = (1n << 128n) - 1n;
  return (all << BigInt(128 - prefix)) & all;
}
