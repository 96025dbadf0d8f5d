/** A mounted view: `update` follows a change of the URL within the same view, `dispose` leaves it. */
export interface View {
  update(): void;
  dispose(): void;
}

/** Document title of a view. */
export const pageTitle = (what: string) => `${what} · Hotspots`;
