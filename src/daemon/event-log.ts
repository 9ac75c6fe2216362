/** One JSON log line per detector event worth a line: state changes, new MACs, failovers, summaries. */
import type { Logger } from 'pino';
import type { DetectorEvent, EntrySnapshot, MacSighting } from '../core/events.js';
import { macDetails } from '../platform/oui-file.js';

type Level = 'debug' | 'info' | 'warn' | 'error';

const STATE_LEVEL: Record<string, Level> = {
  conflict: 'error',
  'split-brain': 'error',
  unanswered: 'warn',
  contested: 'warn',
  ok: 'info',
  unknown: 'info',
};

/**
 * Whether an event can make a line at this logger's level: a frame sent (most events at idle)
 * makes one only at trace, so the daemon need not pass it through the log's wrappers at all.
 */
export function logsEvent(logger: Logger): (e: DetectorEvent) => boolean {
  const traceSends = logger.isLevelEnabled('trace');
  return (e) => traceSends || e.type !== 'sent' || e.outcome !== 'sent';
}

export function eventLog(logger: Logger, wall: (t: number) => number) {
  const iso = (t: number | null) => (t === null ? null : new Date(wall(t)).toISOString());
  const macs = (list: MacSighting[]) =>
    list.map((m) => ({
      ...macDetails(m.mac),
      firstSeen: iso(m.firstSeen),
      lastSeen: iso(m.lastSeen),
      frames: m.frames,
      ...(m.ethernetSource ? { ethernetSource: m.ethernetSource, ethernetSourceDescription: macDetails(m.ethernetSource).description } : {}),
    }));
  // "00:50:56:aa:bb:cc (VMware, Inc.; VMware virtual NIC, Ethernet source 02:..: locally administered)"
  const who = (m: MacSighting) =>
    `${m.mac} (${macDetails(m.mac).description}${m.ethernetSource ? `; Ethernet source ${m.ethernetSource}: ${macDetails(m.ethernetSource).description}` : ''})`;
  // Several MACs may be one host answering on two interfaces (ARP flux): say so, `dupip status` tells more.
  const flux = (e: EntrySnapshot) => (e.macs.length >= 2 ? ': two or more holders, or one host with two interfaces on the segment (ARP flux, see dupip status)' : '');
  const whoAll = (e: EntrySnapshot) => (e.macs.length ? `; answered by ${e.macs.map(who).join(', ')}` : '');
  const where = (e: EntrySnapshot) => ({ address: e.address, interface: e.interface, role: e.role, held: e.held });
  const subject = (e: EntrySnapshot) => `${e.address} on ${e.interface} (${e.role}${e.role === 'delegate' ? (e.held ? ', held here' : ', not held here') : ''})`;

  // Every frame sent passes here: build its trace line only when someone will read it.
  const makesLine = logsEvent(logger);
  return (e: DetectorEvent): void => {
    switch (e.type) {
      case 'state':
        logger[STATE_LEVEL[e.to] ?? 'info'](
          { event: 'state', ...where(e.entry), from: e.from, to: e.to, macs: macs(e.entry.macs), holders: e.entry.holders, reason: e.reason, ...(e.episode ? { episodeStart: iso(e.episode.start), episodeEnd: iso(e.episode.end ?? null), episodeMacs: e.episode.macs } : {}) },
          `${subject(e.entry)}: ${e.from} → ${e.to}: ${e.reason}${e.to === 'conflict' || e.to === 'split-brain' ? whoAll(e.entry) : ''}${e.to === 'split-brain' ? flux(e.entry) : ''}`,
        );
        return;
      case 'conflict-mac':
        logger.error({ event: 'conflict-mac', ...where(e.entry), macs: macs([e.mac]) }, `${subject(e.entry)}: ${who(e.mac)} also claims it, first seen ${iso(e.mac.firstSeen)}, ${e.mac.frames} frame(s)`);
        return;
      case 'failover':
        logger.warn({ event: 'failover', ...where(e.entry), from: e.from, to: e.to }, `${subject(e.entry)}: failover from ${e.from ?? 'nobody'} to ${e.to}`);
        return;
      case 'unexpected-holder':
        logger.warn({ event: 'unexpected-holder', ...where(e.entry), mac: e.mac }, `${subject(e.entry)}: held by ${e.mac}, which is not one of its allowed MACs`);
        return;
      case 'summary':
        logger.warn(
          { event: 'summary', ...where(e.entry), state: e.entry.state, frames: e.frames, macs: macs(e.entry.macs), overflowMacs: e.overflow, since: iso(e.entry.episodeStart) },
          `${subject(e.entry)}: still ${e.entry.state}, ${e.frames} conflicting frame(s) since the last summary${whoAll(e.entry)}`,
        );
        return;
      case 'watch':
        logger.info({ event: e.change === 'added' ? 'watch-added' : 'watch-removed', ...where(e.entry) }, `${e.change === 'added' ? 'monitoring' : 'no longer monitoring'} ${subject(e.entry)}`);
        return;
      case 'interface':
        logger[e.up ? 'info' : 'warn']({ event: e.up ? 'interface-up' : 'interface-down', interface: e.interface }, `interface ${e.interface} is ${e.up ? 'up: monitoring resumes' : 'down: monitoring paused'}`);
        return;
      case 'probe-withheld':
        logger.warn(
          { event: 'probe-withheld', ...where(e.entry), reason: e.reason },
          `${subject(e.entry)}: not probed, only listened for: ${e.reason} (an RFC 5227 probe from 0.0.0.0 could abort a takeover)`,
        );
        return;
      case 'send-capped':
        logger.warn(
          { event: 'send-capped', interface: e.interface, addresses: e.addresses, neededPerSecond: e.neededPerSecond, cap: e.cap, roundSeconds: e.roundMs / 1000 },
          `${e.interface}: ${e.addresses} addresses need ${e.neededPerSecond} frames/s but max_send_rate is ${e.cap}/s; a probe round takes ~${Math.round(e.roundMs / 1000)}s instead of the probe interval`,
        );
        return;
      case 'proxy':
        if (e.change === 'found') {
          logger.warn(
            { event: 'proxy-arp', interface: e.interface, mac: e.mac, reason: e.reason, addresses: e.addresses },
            `MAC ${e.mac} answers ARP for the subnet on ${e.interface}: proxy ARP or a cloud fabric (${e.reason === 'canary' ? 'it answered for the canary address' : `it answered for ${e.addresses.length} watched addresses it never claimed`}); its answers are not counted as holders`,
          );
        } else {
          logger.info({ event: 'proxy-arp-gone', interface: e.interface, mac: e.mac }, `MAC ${e.mac} on ${e.interface} no longer answers ARP for the subnet`);
        }
        return;
      case 'sent':
        if (e.outcome !== 'sent') logger.warn({ event: 'send-failed', interface: e.interface, kind: e.kind, address: e.address, outcome: e.outcome }, `${e.kind} for ${e.address} on ${e.interface}: ${e.outcome}`);
        else if (makesLine(e)) logger.trace({ event: 'sent', interface: e.interface, kind: e.kind, address: e.address });
        return;
    }
  };
}
