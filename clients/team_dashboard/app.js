// Convonet team dashboard: vanilla JS, no build step.
// The access token lives in memory only; the refresh token is an HttpOnly cookie the
// page never sees. Every piece of user text goes through textContent, never innerHTML.
"use strict";

const RANK = { owner: 4, admin: 3, member: 2, viewer: 1 };
const POLL_MS = 3000;

const state = {
  token: null,
  refreshTimer: null,
  me: null,
  teams: [],
  team: null,        // detail of the selected team, with members
  todos: [],
  nextCursor: null,
  tab: "todos",
  month: firstOfMonth(new Date()),
  seen: {},          // last rendered JSON per view, to skip no-op re-renders
};

// ---------------------------------------------------------------- helpers

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key in node && typeof value !== "string") node[key] = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

function firstOfMonth(d) { return new Date(d.getFullYear(), d.getMonth(), 1); }

function isoDay(d) {
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

function when(iso) {
  if (!iso) return "";
  return new Date(iso).toLocaleString(undefined, {
    weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit",
  });
}

function notice(message, kind) {
  const box = $("notice");
  box.textContent = message || "";
  box.className = "notice " + (kind || "error");
  box.hidden = !message;
}

function myRank() { return state.team ? RANK[state.team.my_role] || 0 : 0; }

function canChange(todo) {
  const me = state.me && state.me.id;
  return myRank() >= RANK.admin || todo.creator_id === me || (todo.assignee && todo.assignee.id === me);
}

function canDelete(todo) {
  return myRank() >= RANK.admin || todo.creator_id === (state.me && state.me.id);
}

// ------------------------------------------------------------------- API

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(method, path, body, retry = true) {
  const options = { method, headers: {}, credentials: "same-origin" };
  if (state.token) options.headers.Authorization = "Bearer " + state.token;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(path, options);
  if (response.status === 401 && retry && state.token && await refresh()) {
    return api(method, path, body, false);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const message = data && data.error ? data.error.message : `Request failed (${response.status}).`;
    throw new ApiError(response.status, message);
  }
  return data;
}

function useTokens(tokens) {
  state.token = tokens.access_token;
  clearTimeout(state.refreshTimer);
  const delay = Math.max(30, tokens.expires_in - 60) * 1000;
  state.refreshTimer = setTimeout(refresh, delay);
}

async function refresh() {
  // The refresh token travels only as the HttpOnly cookie.
  try {
    const response = await fetch("/api/auth/refresh", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json" }, body: "{}",
    });
    if (!response.ok) { state.token = null; return false; }
    const tokens = await response.json();
    useTokens({ access_token: tokens.access_token, expires_in: tokens.expires_in });
    return true;
  } catch (_) {
    return false;
  }
}

// ------------------------------------------------------------ auth views

function showAuth() {
  state.token = null; state.me = null; state.team = null;
  $("auth-view").hidden = false;
  $("app-view").hidden = true;
  $("who").hidden = true;
}

async function showApp() {
  state.me = await api("GET", "/api/auth/profile");
  $("who-name").textContent = state.me.name;
  $("who").hidden = false;
  $("auth-view").hidden = true;
  $("app-view").hidden = false;
  await loadTeams();
}

async function logIn(login, password) {
  const tokens = await api("POST", "/api/auth/login", { login, password });
  useTokens(tokens);
  notice("");
  await showApp();
}

function formData(form) { return Object.fromEntries(new FormData(form).entries()); }

async function onLogin(event) {
  event.preventDefault();
  const data = formData(event.target);
  try { await logIn(data.login, data.password); event.target.reset(); }
  catch (error) { notice(error.message); }
}

async function onRegister(event) {
  event.preventDefault();
  const data = formData(event.target);
  data.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  try {
    await api("POST", "/api/auth/register", data);
    await logIn(data.username, data.password);
    event.target.reset();
  } catch (error) { notice(error.message); }
}

async function onLogout() {
  try { await api("POST", "/api/auth/logout", {}); } catch (_) { /* signed out anyway */ }
  clearTimeout(state.refreshTimer);
  showAuth();
}

// ------------------------------------------------------------------ teams

async function loadTeams(selectId) {
  state.teams = await api("GET", "/api/teams/");
  renderTeams();
  const wanted = selectId || (state.team && state.team.id);
  if (wanted && state.teams.some((t) => t.id === wanted)) await selectTeam(wanted);
  else if (state.teams.length === 1) await selectTeam(state.teams[0].id);
  else { state.team = null; renderTeam(); }
}

function renderTeams() {
  const list = $("team-list");
  clear(list);
  for (const team of state.teams) {
    const active = state.team && state.team.id === team.id;
    list.append(el("li", {},
      el("button", {
        type: "button", class: active ? "team active" : "team",
        dataset: { teamId: team.id }, onclick: () => selectTeam(team.id),
      }, el("span", {}, team.name), el("span", { class: "badge small" }, team.my_role))));
  }
  if (!state.teams.length) list.append(el("li", { class: "muted" }, "No teams yet."));
}

async function selectTeam(teamId) {
  state.seen = {};
  state.team = await api("GET", `/api/teams/${teamId}`);
  renderTeams();
  renderTeam();
  await loadTab();
}

function renderTeam() {
  const team = state.team;
  $("no-team").hidden = !!team;
  $("team-view").hidden = !team;
  if (!team) return;
  $("team-name").textContent = team.name;
  $("team-description").textContent = team.description;
  $("my-role").textContent = team.my_role;
  const rank = myRank();
  $("delete-team").hidden = rank < RANK.owner;
  $("todo-form").hidden = rank < RANK.member;
  $("todo-readonly").hidden = rank >= RANK.member;
  $("member-form").hidden = rank < RANK.admin;
  fillRoleSelect($("member-role"), "member");
  fillPeopleSelect($("todo-assignee"), "Unassigned", "");
  fillPeopleSelect($("filter-assignee"), "Anyone", "");
  renderMembers();
}

function grantableRoles() {
  return myRank() >= RANK.owner ? ["owner", "admin", "member", "viewer"] : ["member", "viewer"];
}

function fillRoleSelect(select, selected) {
  clear(select);
  for (const role of grantableRoles()) {
    select.append(el("option", { value: role, selected: role === selected }, role));
  }
}

function fillPeopleSelect(select, emptyLabel, keep) {
  const current = select.value || keep;
  clear(select);
  select.append(el("option", { value: "" }, emptyLabel));
  for (const m of state.team.members) {
    select.append(el("option", { value: m.user_id, selected: m.user_id === current }, m.name));
  }
}

async function onCreateTeam(event) {
  event.preventDefault();
  const data = formData(event.target);
  try {
    const team = await api("POST", "/api/teams/", { name: data.name });
    event.target.reset();
    notice("");
    await loadTeams(team.id);
  } catch (error) { notice(error.message); }
}

async function onDeleteTeam() {
  if (!state.team || !window.confirm(`Delete the team "${state.team.name}" for everyone?`)) return;
  try { await api("DELETE", `/api/teams/${state.team.id}`); state.team = null; await loadTeams(); }
  catch (error) { notice(error.message); }
}

async function onLeaveTeam() {
  if (!state.team || !window.confirm(`Leave "${state.team.name}"?`)) return;
  try {
    await api("DELETE", `/api/teams/${state.team.id}/members/${state.me.id}`);
    state.team = null;
    await loadTeams();
  } catch (error) { notice(error.message); }
}

// ---------------------------------------------------------------- members

function renderMembers() {
  const rows = $("member-rows");
  clear(rows);
  const rank = myRank();
  for (const m of state.team.members) {
    const top = RANK[m.role] >= RANK.admin;
    const manageable = rank >= RANK.owner || (rank >= RANK.admin && !top);
    let roleCell = el("span", { class: "badge" }, m.role);
    if (manageable && m.user_id !== state.me.id) {
      const select = el("select", {
        "aria-label": `Role of ${m.name}`, dataset: { userId: m.user_id },
        onchange: (e) => changeRole(m.user_id, e.target.value),
      });
      const roles = grantableRoles().includes(m.role) ? grantableRoles() : [m.role, ...grantableRoles()];
      for (const role of roles) select.append(el("option", { value: role, selected: role === m.role }, role));
      roleCell = select;
    }
    const remove = manageable && m.user_id !== state.me.id
      ? el("button", { type: "button", class: "link danger-text", onclick: () => removeMember(m) }, "Remove")
      : null;
    rows.append(el("tr", { dataset: { userId: m.user_id } },
      el("td", {}, m.name), el("td", { class: "muted" }, m.email), el("td", {}, roleCell), el("td", {}, remove)));
  }
}

async function onAddMember(event) {
  event.preventDefault();
  const data = formData(event.target);
  try {
    await api("POST", `/api/teams/${state.team.id}/members`, { email: data.email, role: data.role });
    event.target.reset();
    notice("");
    await selectTeam(state.team.id);
    showTab("members");
  } catch (error) { notice(error.message); }
}

async function changeRole(userId, role) {
  try {
    await api("PUT", `/api/teams/${state.team.id}/members/${userId}/role`, { role });
    notice("");
  } catch (error) { notice(error.message); }
  await selectTeam(state.team.id);
  showTab("members");
}

async function removeMember(member) {
  if (!window.confirm(`Remove ${member.name} from the team?`)) return;
  try { await api("DELETE", `/api/teams/${state.team.id}/members/${member.user_id}`); }
  catch (error) { notice(error.message); }
  await selectTeam(state.team.id);
  showTab("members");
}

// ------------------------------------------------------------------ todos

function todoQuery(cursor) {
  const params = new URLSearchParams({ status: $("filter-status").value, limit: "50" });
  if ($("filter-priority").value) params.set("priority", $("filter-priority").value);
  if ($("filter-assignee").value) params.set("assignee", $("filter-assignee").value);
  if ($("filter-text").value.trim()) params.set("q", $("filter-text").value.trim());
  if (cursor) params.set("cursor", cursor);
  return params;
}

async function loadTodos(append) {
  const cursor = append ? state.nextCursor : null;
  const page = await api("GET", `/api/teams/${state.team.id}/todos?${todoQuery(cursor)}`);
  state.todos = append ? state.todos.concat(page.items) : page.items;
  state.nextCursor = page.next_cursor;
  renderTodos();
}

function renderTodos() {
  const key = JSON.stringify([state.todos, state.team.my_role]);
  if (state.seen.todos === key) return;
  state.seen.todos = key;
  const list = $("todo-list");
  clear(list);
  for (const todo of state.todos) list.append(todoItem(todo));
  if (!state.todos.length) list.append(el("li", { class: "empty" }, "Nothing here."));
  $("more-todos").hidden = !state.nextCursor;
}

function todoItem(todo) {
  const editable = canChange(todo);
  const check = el("input", {
    type: "checkbox", checked: todo.completed, disabled: !editable,
    "aria-label": `Done: ${todo.title}`, onchange: (e) => updateTodo(todo, { completed: e.target.checked }),
  });
  let assignee;
  if (editable) {
    assignee = el("select", {
      "aria-label": `Assignee of ${todo.title}`, class: "assignee",
      onchange: (e) => updateTodo(todo, { assignee: e.target.value || null }),
    });
    assignee.append(el("option", { value: "" }, "Unassigned"));
    for (const m of state.team.members) {
      assignee.append(el("option", {
        value: m.user_id, selected: !!todo.assignee && todo.assignee.id === m.user_id,
      }, m.name));
    }
  } else {
    assignee = el("span", { class: "muted" }, todo.assignee ? todo.assignee.name : "Unassigned");
  }
  const remove = canDelete(todo)
    ? el("button", { type: "button", class: "link danger-text", onclick: () => deleteTodo(todo) }, "Delete")
    : null;
  return el("li", { class: todo.completed ? "todo done" : "todo", dataset: { todoId: todo.id } },
    check,
    el("div", { class: "todo-main" },
      el("span", { class: "title" }, todo.title),
      el("span", { class: "meta" },
        el("span", { class: `badge prio ${todo.priority}` }, todo.priority),
        todo.due_date ? el("span", { class: "due" }, "due " + when(todo.due_date)) : null,
        todo.is_private ? el("span", { class: "badge small" }, "private") : null)),
    assignee, remove);
}

async function onCreateTodo(event) {
  event.preventDefault();
  const data = formData(event.target);
  const body = { title: data.title, priority: data.priority };
  if (data.due) body.due = data.due;
  if (data.assignee) body.assignee = data.assignee;
  try {
    await api("POST", `/api/teams/${state.team.id}/todos`, body);
    event.target.reset();
    notice("");
    await loadTodos();
  } catch (error) { notice(error.message); }
}

async function updateTodo(todo, changes) {
  try {
    await api("PUT", `/api/teams/${state.team.id}/todos/${todo.id}`, changes);
    notice("");
  } catch (error) { notice(error.message); }
  state.seen.todos = null;
  await loadTodos();
}

async function deleteTodo(todo) {
  if (!window.confirm(`Delete "${todo.title}"?`)) return;
  try { await api("DELETE", `/api/teams/${state.team.id}/todos/${todo.id}`); }
  catch (error) { notice(error.message); }
  await loadTodos();
}

// --------------------------------------------------------------- calendar

function gridStart(month) {
  const start = new Date(month);
  start.setDate(1 - ((start.getDay() + 6) % 7)); // back to Monday
  return start;
}

async function loadCalendar() {
  const start = gridStart(state.month);
  const end = new Date(start);
  end.setDate(start.getDate() + 41);
  const params = new URLSearchParams({ start: isoDay(start), end: isoDay(end) });
  const data = await api("GET", `/api/teams/${state.team.id}/calendar?${params}`);
  const key = JSON.stringify([state.month, data.todos, data.events]);
  if (state.seen.calendar === key) return;
  state.seen.calendar = key;
  renderCalendar(start, data);
}

function renderCalendar(start, data) {
  $("cal-title").textContent = state.month.toLocaleDateString(undefined, { month: "long", year: "numeric" });
  const grid = $("cal-grid");
  clear(grid);
  for (const name of ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]) {
    grid.append(el("div", { class: "cal-dow" }, name));
  }
  const byDay = {};
  const add = (iso, item) => { (byDay[isoDay(new Date(iso))] ||= []).push(item); };
  for (const todo of data.todos) if (todo.due_date) add(todo.due_date, { kind: "todo", at: todo.due_date, todo });
  for (const event of data.events) add(event.start, { kind: "event", at: event.start, event });
  const today = isoDay(new Date());
  for (let i = 0; i < 42; i++) {
    const day = new Date(start);
    day.setDate(start.getDate() + i);
    const key = isoDay(day);
    const classes = ["cal-day"];
    if (day.getMonth() !== state.month.getMonth()) classes.push("other");
    if (key === today) classes.push("today");
    const cell = el("div", { class: classes.join(" "), dataset: { day: key } },
      el("div", { class: "cal-date" }, day.getDate()));
    const items = (byDay[key] || []).sort((a, b) => a.at.localeCompare(b.at));
    for (const item of items) {
      const time = new Date(item.at).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
      if (item.kind === "todo") {
        cell.append(el("div", { class: item.todo.completed ? "chip todo done" : "chip todo", title: item.todo.title },
          `${time} ${item.todo.title}`));
      } else {
        cell.append(el("div", { class: "chip event", title: item.event.title }, `${time} ${item.event.title}`));
      }
    }
    grid.append(cell);
  }
}

function moveMonth(delta) {
  state.month = new Date(state.month.getFullYear(), state.month.getMonth() + delta, 1);
  loadCalendar().catch((error) => notice(error.message));
}

// ------------------------------------------------------------- tabs, poll

function showTab(name) {
  state.tab = name;
  for (const button of document.querySelectorAll(".tabs button")) {
    button.classList.toggle("active", button.dataset.tab === name);
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  for (const tab of ["todos", "members", "calendar"]) $(`tab-${tab}`).hidden = tab !== name;
}

async function loadTab() {
  if (!state.team) return;
  if (state.tab === "todos") await loadTodos();
  else if (state.tab === "calendar") await loadCalendar();
}

async function poll() {
  if (!state.token || !state.team || document.visibilityState !== "visible") return;
  try {
    const fresh = await api("GET", `/api/teams/${state.team.id}`);
    const changed = JSON.stringify(fresh) !== JSON.stringify(state.team);
    state.team = fresh;
    if (changed) { state.seen = {}; renderTeam(); }
    await loadTab();
  } catch (error) {
    if (error.status === 404) { state.team = null; await loadTeams(); }
  }
}

// ----------------------------------------------------------------- start

function wire() {
  $("login-form").addEventListener("submit", onLogin);
  $("register-form").addEventListener("submit", onRegister);
  $("logout").addEventListener("click", onLogout);
  $("team-form").addEventListener("submit", onCreateTeam);
  $("delete-team").addEventListener("click", onDeleteTeam);
  $("leave-team").addEventListener("click", onLeaveTeam);
  $("member-form").addEventListener("submit", onAddMember);
  $("todo-form").addEventListener("submit", onCreateTodo);
  $("more-todos").addEventListener("click", () => loadTodos(true).catch((e) => notice(e.message)));
  for (const id of ["filter-status", "filter-priority", "filter-assignee"]) {
    $(id).addEventListener("change", () => loadTodos().catch((e) => notice(e.message)));
  }
  $("filter-text").addEventListener("input", () => loadTodos().catch((e) => notice(e.message)));
  for (const button of document.querySelectorAll(".tabs button")) {
    button.addEventListener("click", () => { showTab(button.dataset.tab); loadTab().catch((e) => notice(e.message)); });
  }
  $("cal-prev").addEventListener("click", () => moveMonth(-1));
  $("cal-next").addEventListener("click", () => moveMonth(1));
  $("cal-today").addEventListener("click", () => { state.month = firstOfMonth(new Date()); moveMonth(0); });
  setInterval(() => { poll(); }, POLL_MS);
}

async function start() {
  wire();
  if (await refresh()) {
    try { await showApp(); return; } catch (_) { /* fall through to the login form */ }
  }
  showAuth();
}

document.addEventListener("DOMContentLoaded", start);
