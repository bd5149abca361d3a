// Where each event sits in a room, so that a read receipt pointing at any event (a message, an edit,
// a hidden command, a state change) can be compared with the messages shown. Append-only and
// copy-on-write in small chunks: adding an event copies at most one chunk, and the full chunks are
// shared by every later version.

export interface Places {
  /** Event id → place (larger is newer); every chunk but the last holds CHUNK entries. */
  readonly chunks: readonly Readonly<Record<string, number>>[];
  readonly size: number;
  /** The places of the newest and the oldest event held. */
  readonly newest: number;
  readonly oldest: number;
}

const CHUNK = 128;

export const NO_PLACES: Places = { chunks: [], size: 0, newest: 0, oldest: 0 };

export function placeOf(places: Places, eventId: string): number | undefined {
  for (let i = places.chunks.length - 1; i >= 0; i -= 1) {
    const place = places.chunks[i]![eventId];
    if (place !== undefined) return place;
  }
  return undefined;
}

/** Places a new event above the newest one held (live) or below the oldest (back-pagination). */
export function withPlace(places: Places, eventId: string, direction: 'forward' | 'backward'): Places {
  if (placeOf(places, eventId) !== undefined) return places;
  const backward = direction === 'backward';
  const place = backward ? places.oldest - 1 : places.newest + 1;
  const { chunks, size } = places;
  const next =
    size % CHUNK === 0
      ? [...chunks, { [eventId]: place }]
      : [...chunks.slice(0, -1), { ...chunks[chunks.length - 1], [eventId]: place }];
  return {
    chunks: next,
    size: size + 1,
    newest: backward ? places.newest : place,
    oldest: backward ? place : places.oldest,
  };
}
