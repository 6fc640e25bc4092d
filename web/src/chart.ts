// A bar chart of skill scores (0–100) as inline SVG, drawn by the client: each skill's name on
// its own line above its bar, so it stays readable at phone widths. It has a title and a
// description for screen readers, and each value is also written as text.
import { svg } from "./dom";

export const CHART_TRACK = 300;

export function skillChart(scores: Record<string, number>, max = 100): SVGElement {
  const entries = Object.entries(scores).filter(([, v]) => typeof v === "number");
  const rowH = 44;
  const width = CHART_TRACK + 50;
  const height = Math.max(1, entries.length) * rowH + 4;
  const desc = entries.map(([k, v]) => `${k.replace(/_/g, " ")}: ${v.toFixed(1)}`).join("; ");
  const root = svg(
    "svg",
    {
      class: "chart",
      id: "skill-chart",
      viewBox: `0 0 ${width} ${height}`,
      role: "img",
      "aria-labelledby": "skill-chart-title skill-chart-desc",
    },
    svg("title", { id: "skill-chart-title" }, "Skill scores"),
    svg("desc", { id: "skill-chart-desc" }, desc || "No skill scores"),
  );
  entries.forEach(([name, value], i) => {
    const y = 2 + i * rowH;
    const pretty = name.replace(/_/g, " ");
    const w = Math.max(0, Math.min(1, value / max)) * CHART_TRACK;
    root.append(
      svg("text", { x: 0, y: y + 14 }, pretty),
      svg("rect", { class: "track", x: 0, y: y + 20, width: CHART_TRACK, height: 16, rx: 3 }),
      svg("rect", { class: "bar", x: 0, y: y + 20, width: w.toFixed(1), height: 16, rx: 3, "data-skill": name }),
      svg("text", { x: CHART_TRACK + 8, y: y + 33 }, value.toFixed(1)),
    );
  });
  return root;
}
