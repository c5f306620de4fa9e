// The operator page: public alerts on a map of the Netherlands, a list, incident timelines,
// kept current by the hub's server-sent events. Plain browser JavaScript, no build step.
"use strict";

const COLOURS = { Extreme: "#8b0000", Severe: "#e03c31", Moderate: "#f29100", Minor: "#e5c700", Unknown: "#7a7a7a" };
const state = { alerts: [], selected: null, layers: null, reload: null };

const map = L.map("map", { zoomSnap: 0.25, attributionControl: false }).setView([52.2, 5.3], 7);
state.layers = L.featureGroup().addTo(map);

function el(tag, props, ...children) {
  const node = Object.assign(document.createElement(tag), props || {});
  for (const child of children) node.append(child);
  return node;
}

async function getJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.json();
}

async function drawOutline() {
  const outline = await getJson("/assets/page/netherlands.geojson");
  L.geoJSON(outline, { style: { color: "#5b7083", weight: 1, fillColor: "#f7f4ea", fillOpacity: 1 } }).addTo(map);
}

async function loadChannels() {
  const select = document.getElementById("channel");
  for (const channel of (await getJson("/v1/channels")).items) {
    select.append(el("option", { value: channel.name, textContent: channel.name }));
  }
}

function isPublic(alert) {
  return alert.status === "Actual" && alert.scope === "Public";
}

function severityOf(alert) {
  return (alert.info[0] && alert.info[0].severity) || "Unknown";
}

function headlineOf(alert) {
  const info = alert.info[0] || {};
  return info.headline || info.event || alert.identifier;
}

async function loadAlerts() {
  const params = new URLSearchParams({ lifecycle: document.getElementById("lifecycle").value, status: "Actual", limit: "1000" });
  const channel = document.getElementById("channel").value;
  if (channel) params.set("channel", channel);
  state.alerts = (await getJson(`/v1/alerts?${params}`)).items.filter(isPublic);
  render();
}

function shapesOf(alert) {
  const colour = COLOURS[severityOf(alert)] || COLOURS.Unknown;
  const style = { color: colour, fillColor: colour, fillOpacity: 0.3, weight: 2 };
  const shapes = [];
  for (const info of alert.info.slice(0, 1)) {
    for (const area of info.areas || []) {
      for (const polygon of area.polygons || []) shapes.push(L.polygon(polygon, style));
      for (const c of area.circles || []) shapes.push(L.circle([c.lat, c.lon], { ...style, radius: c.radius_km * 1000 }));
    }
  }
  for (const shape of shapes) shape.bindTooltip(headlineOf(alert)).on("click", () => select(alert.alert_id));
  return shapes;
}

function render() {
  state.layers.clearLayers();
  const list = document.getElementById("alerts");
  list.replaceChildren();
  for (const alert of state.alerts) {
    for (const shape of shapesOf(alert)) state.layers.addLayer(shape);
    const item = el("li", { className: `sev-${severityOf(alert)}`, title: alert.alert_id },
      el("div", { className: "headline", textContent: headlineOf(alert) }),
      el("div", { className: "meta", textContent: `${alert.origin.channel} · ${severityOf(alert)} · ${alert.lifecycle} · sent ${alert.sent}` }));
    item.dataset.alertId = alert.alert_id;
    if (alert.alert_id === state.selected) item.classList.add("selected");
    item.addEventListener("click", () => select(alert.alert_id));
    list.append(item);
  }
  document.getElementById("count").textContent = `(${state.alerts.length})`;
}

async function select(alertId) {
  state.selected = alertId;
  render();
  const incidents = (await getJson("/v1/incidents?lifecycle=all")).items;
  const incident = incidents.find((i) => i.alerts.some((a) => a.alert_id === alertId));
  const members = incident ? incident.alerts : [{ alert_id: alertId }];
  const histories = await Promise.all(members.map((a) => getJson(`/v1/alerts/${a.alert_id}/events`)));
  const events = histories.flatMap((h) => h.items).sort((a, b) => a.recorded_at.localeCompare(b.recorded_at));
  const list = document.getElementById("events");
  list.replaceChildren(...events.map((e) => el("li", {},
    el("div", { textContent: `${e.channel || "?"}: ${e.type}` }),
    el("div", { className: "meta", textContent: `${e.recorded_at} · alert ${e.alert_id.slice(0, 8)} v${e.version}` }))));
  document.getElementById("timeline").hidden = false;
}

function scheduleReload() {
  clearTimeout(state.reload);
  state.reload = setTimeout(() => loadAlerts().then(() => state.selected && select(state.selected)), 200);
}

function followStream() {
  const live = document.getElementById("live");
  const stream = new EventSource("/v1/stream");
  stream.onopen = () => { live.textContent = "live"; live.classList.add("on"); };
  stream.onerror = () => { live.textContent = "reconnecting…"; live.classList.remove("on"); };
  for (const type of ["AlertIssued", "AlertUpdated", "AlertEnded", "MessageRecorded", "OriginalLinked"]) {
    stream.addEventListener(type, scheduleReload);
  }
}

document.getElementById("channel").addEventListener("change", loadAlerts);
document.getElementById("lifecycle").addEventListener("change", loadAlerts);
drawOutline().then(loadChannels).then(loadAlerts).then(followStream);
