// Rules that span several fields of one message, checked after the generic verifier has made every
// accessor safe to call. One function per payload that needs one; most need none.
import type { ProtocolError } from '../errors.ts';
import type { Envelope } from '../generated/vf/envelope.ts';
import { Payload } from '../generated/vf/payload.ts';
import { PositionIdTable } from '../generated/vf/position-id-table.ts';
import { SsspResult } from '../generated/vf/sssp-result.ts';
import { Subscribe } from '../generated/vf/subscribe.ts';

function inconsistent(message: string): ProtocolError {
  return { code: 'INCONSISTENT', message };
}

function ssspResult(r: SsspResult): ProtocolError | null {
  const n = r.nodesLength();
  if (r.distancesLength() !== n || r.parentsLength() !== n) {
    return inconsistent(`SsspResult: nodes, distances and parents differ in length (${n}, ${r.distancesLength()}, ${r.parentsLength()})`);
  }
  return null;
}

function positionIdTable(t: PositionIdTable): ProtocolError | null {
  const kinds = t.kindsLength();
  if (kinds !== 0 && kinds !== t.idsLength()) {
    return inconsistent(`PositionIdTable: ${kinds} kinds for ${t.idsLength()} ids`);
  }
  const types = t.typesLength();
  if (types !== 0 && types !== t.idsLength()) return inconsistent(`PositionIdTable: ${types} types for ${t.idsLength()} ids`);
  const names = t.typeNamesLength();
  for (let i = 0; i < types; i++) {
    if (t.types(i)! >= names) return inconsistent(`PositionIdTable: type code ${t.types(i)} with ${names} type names`);
  }
  if (t.foldedLength() !== t.foldedIntoLength()) {
    return inconsistent(`PositionIdTable: ${t.foldedLength()} folded nodes for ${t.foldedIntoLength()} fold targets`);
  }
  return null;
}

/** A position filter's degree range is not inverted; its region: both corners or neither, and min <= max on every axis. */
function subscribe(s: Subscribe): ProtocolError | null {
  const filter = s.filter();
  if (filter === null) return null;
  if (filter.maxDegree() !== 0 && filter.minDegree() > filter.maxDegree()) {
    return inconsistent(`Subscribe.filter: min_degree ${filter.minDegree()} is above max_degree ${filter.maxDegree()}`);
  }
  const min = filter.regionMin();
  const max = filter.regionMax();
  if (min === null && max === null) return null;
  if (min === null || max === null) return inconsistent('Subscribe.filter: region_min and region_max come together');
  if (min.x() > max.x() || min.y() > max.y() || min.z() > max.z()) {
    return inconsistent(
      `Subscribe.filter: region_min (${min.x()}, ${min.y()}, ${min.z()}) is above region_max (${max.x()}, ${max.y()}, ${max.z()})`,
    );
  }
  return null;
}

export function checkSemantics(env: Envelope): ProtocolError | null {
  switch (env.payloadType()) {
    case Payload.SsspResult:
      return ssspResult(env.payload(new SsspResult()) as SsspResult);
    case Payload.PositionIdTable:
      return positionIdTable(env.payload(new PositionIdTable()) as PositionIdTable);
    case Payload.Subscribe:
      return subscribe(env.payload(new Subscribe()) as Subscribe);
    default:
      return null;
  }
}
