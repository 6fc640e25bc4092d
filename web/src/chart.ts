// A horizontal bar chart of skill scores (0–100) as inline SVG, drawn by the client. It has a
// title and description for screen readers, and each bar's value is also written as text.
import { svg } from "./dom";

export function skillChart(scores: Record<string, number>, max = 100): SVGElement {
  const entries = Object.entries(scores).filter(([, v]) => typeof v === "number");
  const rowH = 34;
  const labelW = 230;
  const barW = 360;
  const width = labelW + barW + 60;
  const height = Math.max(1, entries.length) * rowH + 10;
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
    const y = 5 + i * rowH;
    const pretty = name.replace(/_/g, " ");
    const w = Math.max(0, Math.min(1, value / max)) * barW;
    root.append(
      svg("text", { x: 0, y: y + 20 }, svg("title", {}, pretty), pretty.length > 30 ? `${pretty.slice(0, 29)}…` : pretty),
      svg("rect", { class: "track", x: labelW, y: y + 6, width: barW, height: 20, rx: 3 }),
      svg("rect", { class: "bar", x: labelW, y: y + 6, width: w.toFixed(1), height: 20, rx: 3, "data-skill": name }),
      svg("text", { x: labelW + barW + 8, y: y + 20 }, value.toFixed(1)),
    );
  });
  return root;
}
