/**
 * The part of d3-flame-graph 5 (https://github.com/spiermar/d3-flame-graph, no bundled types)
 * the UI uses. Nodes are d3-hierarchy nodes whose `data` is our FlameNode.
 */
declare module 'd3-flame-graph' {
  import type { Selection } from 'd3-selection';

  export interface FlameHierarchyNode<Datum> {
    data: Datum & { fade?: boolean; hide?: boolean };
    parent: FlameHierarchyNode<Datum> | null;
    children?: FlameHierarchyNode<Datum>[];
    depth: number;
    value: number;
    x0: number;
    x1: number;
    highlight?: boolean;
  }

  export interface Tooltip<Datum> {
    (selection: unknown): void;
    html(render: (node: FlameHierarchyNode<Datum>) => string): Tooltip<Datum>;
    text(render: (node: FlameHierarchyNode<Datum>) => string): Tooltip<Datum>;
    show(event: unknown, node: FlameHierarchyNode<Datum>): Tooltip<Datum>;
    hide(): Tooltip<Datum>;
    destroy(): void;
  }

  export interface FlameGraph<Datum> {
    (selection: Selection<HTMLElement, Datum, null, undefined>): void;
    width(width: number): FlameGraph<Datum>;
    width(): number;
    cellHeight(height: number): FlameGraph<Datum>;
    minFrameSize(pixels: number): FlameGraph<Datum>;
    transitionDuration(ms: number): FlameGraph<Datum>;
    inverted(inverted: boolean): FlameGraph<Datum>;
    sort(sort: boolean | ((a: FlameHierarchyNode<Datum>, b: FlameHierarchyNode<Datum>) => number)): FlameGraph<Datum>;
    selfValue(self: boolean): FlameGraph<Datum>;
    tooltip(tooltip: Tooltip<Datum>): FlameGraph<Datum>;
    label(render: (node: FlameHierarchyNode<Datum>) => string): FlameGraph<Datum>;
    setSearchMatch(match: (node: FlameHierarchyNode<Datum>, term: string) => boolean): FlameGraph<Datum>;
    setSearchHandler(
      handler: (results: FlameHierarchyNode<Datum>[], sum: number, total: number) => void,
    ): FlameGraph<Datum>;
    setDetailsHandler(handler: (text: string | null) => void): FlameGraph<Datum>;
    setDetailsElement(element: HTMLElement | null): FlameGraph<Datum>;
    onClick(handler: (node: FlameHierarchyNode<Datum>) => void): FlameGraph<Datum>;
    onHover(handler: (node: FlameHierarchyNode<Datum>) => void): FlameGraph<Datum>;
    search(term: string): void;
    clear(): void;
    resetZoom(): void;
    zoomTo(node: FlameHierarchyNode<Datum>): void;
    update(data?: Datum): FlameGraph<Datum>;
    destroy(): FlameGraph<Datum>;
  }

  export default function flamegraph<Datum>(): FlameGraph<Datum>;
  export const tooltip: { defaultFlamegraphTooltip<Datum>(): Tooltip<Datum> };
}
