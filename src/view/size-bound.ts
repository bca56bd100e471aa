// The stated size bound of the Gantt SVG: 200 units with one attempt each (a wait and a run) and
// names up to 40 characters stay under this many bytes; a test holds it.
export const SVG_BYTES_FOR_200_UNITS = 256 * 1024;
