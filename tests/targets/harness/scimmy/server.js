// An in-memory SCIM 2.0 server on scimmy + scimmy-routers (Express), started by the
// provisioner's target tests as a second, independent SCIM implementation.
// It owns storage and policy only (uniqueness, ETags, bearer token); parsing, filtering,
// PATCH and Bulk are scimmy's own. Not for production: nothing is persisted.
//
// Usage: node server.js [PORT]   (PORT 0 or absent = any free port)
// Environment: SCIM_PORT, SCIM_HOST (127.0.0.1), SCIM_TOKEN (required bearer token; empty =
// no check), SCIM_NO_EXTENSION=1 (serve the core User only, without our extension schema).
// Prints one line "listening on http://HOST:PORT" once it accepts connections.
import {readFileSync} from "node:fs";
import {randomUUID} from "node:crypto";
import express from "express";
import SCIMMY from "scimmy";
import SCIMMYRouters from "scimmy-routers";

const host = process.env.SCIM_HOST || "127.0.0.1";
const port = Number(process.argv[2] ?? process.env.SCIM_PORT ?? 0);
const token = process.env.SCIM_TOKEN ?? "";
const withExtension = !["1", "true", "yes"].includes((process.env.SCIM_NO_EXTENSION || "").toLowerCase());

// --- Our extension schema, read from the same JSON resource the Python harness serves --------
function attributeOf(spec) {
    return new SCIMMY.Types.Attribute(spec.type, spec.name, {
        multiValued: !!spec.multiValued,
        required: !!spec.required,
        description: spec.description ?? "",
        ...(spec.type === "string" ? {caseExact: !!spec.caseExact} : {}),
    });
}

const extensionSpec = JSON.parse(readFileSync(new URL("../../../../provisioner/targets/scim-extension.json", import.meta.url)));
const ProvisionerUser = new SCIMMY.Types.SchemaDefinition(
    extensionSpec.name, extensionSpec.id, extensionSpec.description,
    extensionSpec.attributes.map(attributeOf));

// --- Storage ---------------------------------------------------------------------------------
const stores = {User: new Map(), Group: new Map()};
let versionCounter = 0;
const nextVersion = () => `W/"${++versionCounter}"`;

const fail = (status, scimType, message) => { throw new SCIMMY.Types.Error(status, scimType, message); };

function plain(instance) {
    // A scimmy schema instance → plain JSON, without the read-only attributes we own.
    const data = JSON.parse(JSON.stringify(instance));
    delete data.id;
    delete data.meta;
    return data;
}

// JSON with sorted keys: equal data, equal text.
function canonical(value) {
    if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
    if (value && typeof value === "object")
        return `{${Object.keys(value).sort().map(k => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
    return JSON.stringify(value);
}

function checkIfMatch(ctx, record) {
    const wanted = ctx?.ifMatch;
    if (!wanted || wanted === "*") return;
    const tags = wanted.split(",").map(t => t.trim());
    if (!tags.includes(record.meta.version)) fail(412, null, `Resource ${record.id} has changed: its version is ${record.meta.version}`);
}

function setEtag(ctx, record) {
    if (ctx?.res && !ctx.res.headersSent) ctx.res.setHeader("ETag", record.meta.version);
}

// scimmy coerces every record egress returns before it slices out the page, so a listing
// would cost O(all users) per page. Following scimmy's ListResponse contract, return a sparse
// array whose length is the total and which holds only the page; fall back to the full list
// where scimmy's own slicing needs it (sorting, or a page that starts inside its own length).
function page(resource, matches) {
    const {sortBy, startIndex = 1, count = 20} = resource.constraints ?? {};
    const length = Math.min(count, Math.max(0, matches.length - startIndex + 1));
    if (sortBy !== undefined || (startIndex > 1 && length >= startIndex)) return matches;
    const sparse = new Array(matches.length);
    for (let i = startIndex - 1; i < startIndex - 1 + length; i++) sparse[i] = matches[i];
    return sparse;
}

function egressOf(type) {
    return (resource, ctx) => {
        const store = stores[type];
        if (resource.id) {
            const record = store.get(resource.id);
            if (!record) fail(404, null, `Resource ${resource.id} not found`);
            setEtag(ctx, record);
            return record;
        }
        const all = [...store.values()];
        return page(resource, resource.filter ? resource.filter.match(all) : all);
    };
}

function uniqueUserName(data, id) {
    if (typeof data.userName !== "string") return;
    const wanted = data.userName.toLowerCase();
    for (const other of stores.User.values()) {
        if (other.id !== id && other.userName.toLowerCase() === wanted)
            fail(409, "uniqueness", `userName "${data.userName}" is already in use`);
    }
}

function ingressOf(type) {
    return (resource, instance, ctx) => {
        const store = stores[type];
        const data = plain(instance);
        const now = new Date().toISOString();
        if (type === "User") uniqueUserName(data, resource.id);
        if (type === "Group" && data.members) {
            for (const m of data.members) {
                if (!stores.User.has(m.value) && !stores.Group.has(m.value)) fail(400, "invalidValue", `member ${m.value} does not exist`);
            }
            // scimmy's PATCH "add" appends a member already present; keep each member once.
            data.members = data.members.filter((m, i, all) => all.findIndex(o => o.value === m.value) === i);
        }
        if (resource.id) {
            const old = store.get(resource.id);
            if (!old) fail(404, null, `Resource ${resource.id} not found`);
            checkIfMatch(ctx, old);
            const {id: _id, meta: _meta, ...before} = old;
            if (canonical(before) === canonical(data)) { setEtag(ctx, old); return old; } // no change, no new version
            const record = {...data, id: old.id, meta: {resourceType: type, created: old.meta.created, lastModified: now, version: nextVersion()}};
            store.set(old.id, record);
            setEtag(ctx, record);
            return record;
        }
        const id = randomUUID();
        const record = {...data, id, meta: {resourceType: type, created: now, lastModified: now, version: nextVersion()}};
        store.set(id, record);
        setEtag(ctx, record);
        return record;
    };
}

function degressOf(type) {
    return (resource, ctx) => {
        const store = stores[type];
        const record = store.get(resource.id);
        if (!record) fail(404, null, `Resource ${resource.id} not found`);
        checkIfMatch(ctx, record);
        store.delete(resource.id);
        // A deleted user or group leaves every group it was a member of.
        for (const group of stores.Group.values()) {
            if (group.members?.some(m => m.value === resource.id)) {
                group.members = group.members.filter(m => m.value !== resource.id);
                group.meta = {...group.meta, lastModified: new Date().toISOString(), version: nextVersion()};
            }
        }
    };
}

SCIMMY.Resources.declare(SCIMMY.Resources.User)
    .ingress(ingressOf("User")).egress(egressOf("User")).degress(degressOf("User"));
if (withExtension) SCIMMY.Resources.User.extend(ProvisionerUser, false);
SCIMMY.Resources.declare(SCIMMY.Resources.Group)
    .ingress(ingressOf("Group")).egress(egressOf("Group")).degress(degressOf("Group"));

// --- HTTP ------------------------------------------------------------------------------------
const app = express();
app.disable("x-powered-by");
app.set("etag", false); // Express's body-hash ETags would shadow the resource versions we set
app.use("/scim/v2", new SCIMMYRouters({
    type: "bearer",
    handler: (req) => {
        if (!token) return "test-client";
        const [scheme, value] = (req.header("Authorization") ?? "").split(" ");
        if (scheme?.toLowerCase() !== "bearer" || value !== token) throw new Error("Missing or invalid bearer token");
        return "test-client";
    },
    // Bulk operations carry their own version; the request's If-Match and ETag are per resource.
    context: (req) => (req.path === "/Bulk" ? {bulk: true} : {ifMatch: req.header("If-Match"), res: req.res}),
}));
// After the routers (their constructor sets the other options): we honour If-Match ourselves.
SCIMMY.Config.set({etag: true});

// Errors thrown outside scimmy's handlers (e.g. malformed JSON) still answer in SCIM form.
app.use((err, req, res, next) => {
    if (res.headersSent) { console.error(err); return; }
    const status = err.status ?? err.statusCode ?? 500;
    res.status(status).type("application/scim+json")
        .send({schemas: ["urn:ietf:params:scim:api:messages:2.0:Error"], status: String(status), detail: err.message});
});

const server = app.listen(port, host, () => {
    const {port: bound} = server.address();
    console.log(`listening on http://${host}:${bound}`);
});
server.keepAliveTimeout = 30000;
// Exit when the process that started us is gone (a killed test run leaves no server behind).
const parent = process.ppid;
setInterval(() => { if (process.ppid !== parent) process.exit(0); }, 500).unref();
for (const signal of ["SIGTERM", "SIGINT"]) process.on(signal, () => server.close(() => process.exit(0)));
