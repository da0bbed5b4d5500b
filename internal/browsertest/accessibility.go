package browsertest

import "fmt"

// accessibilityScript returns the page's problems as strings. Contrast is
// computed from the computed styles: a text's colour composited over the
// backgrounds of its ancestors (white under all), WCAG 2's relative
// luminance and ratio. A colour it cannot read is a problem, not a pass.
var accessibilityScript = fmt.Sprintf(`(() => {
  const problems = [];
  const lang = document.documentElement.getAttribute('lang');
  if (!lang || !lang.trim()) problems.push('<html> has no lang attribute');
  const h1 = document.querySelectorAll('h1').length;
  if (h1 !== 1) problems.push(h1 + ' h1 elements; want exactly one');
  if (!document.title.trim()) problems.push('no <title>');
  let level = 0;
  for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
    const l = Number(h.tagName[1]);
    if (l > level + 1) problems.push('heading "' + h.textContent.trim().slice(0, 40) + '" skips from h' + level + ' to h' + l);
    level = l;
  }
  const viewport = document.querySelector('meta[name="viewport"]');
  if (!viewport || !/width=device-width/.test(viewport.content)) problems.push('no <meta name="viewport" content="width=device-width…">: phones show it zoomed out');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = [...(el.labels || [])].some(l => l.textContent.trim()) ||
      (el.getAttribute('aria-label') || '').trim() || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('form control ' + (el.name || el.id || el.tagName) + ' has no label');
  }
  document.querySelectorAll('table').forEach((table, i) => {
    const name = (table.caption && table.caption.textContent.trim()) || 'table ' + (i + 1);
    const headers = table.querySelectorAll('th');
    if (headers.length === 0) problems.push('"' + name.slice(0, 40) + '" has no header cells (<th>)');
    for (const th of headers) if (!th.textContent.trim()) problems.push('"' + name.slice(0, 40) + '" has an empty header cell');
  });
  for (const el of document.querySelectorAll('button')) {
    if (!el.textContent.trim() && !(el.getAttribute('aria-label') || '').trim()) problems.push('a button has no text');
  }
  const parse = c => {
    const m = /^rgba?\(([^)]*)\)$/.exec(c);
    if (!m) return null;
    const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
  };
  const over = (top, bottom) => ({r: top.r * top.a + bottom.r * (1 - top.a), g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a), a: 1});
  const luminance = c => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const seen = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!n.textContent.trim() || !el || seen.has(el)) continue;
    seen.add(el);
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || el.getClientRects().length === 0) continue;
    const chain = [];
    for (let e = el; e; e = e.parentElement) chain.unshift(e);
    let bg = {r: 255, g: 255, b: 255, a: 1}, unreadable = null;
    for (const e of chain) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (!c) { unreadable = getComputedStyle(e).backgroundColor; break; }
      if (c.a > 0) bg = over(c, bg);
    }
    const fg = parse(style.color);
    if (!fg || unreadable) { problems.push('cannot read the colours of "' + n.textContent.trim().slice(0, 40) + '": ' + (unreadable || style.color)); continue; }
    const l1 = luminance(over(fg, bg)), l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < %v) problems.push('contrast ' + ratio.toFixed(2) + ':1 (want at least %v:1) for "' + n.textContent.trim().slice(0, 40) + '"');
  }
  return problems;
})()`, minContrast, minContrast)

// minContrast is WCAG 2.x's AA contrast for body text.
const minContrast = 4.5
