import { z } from 'zod';

/**
 * One declarative definition per resource type. Everything the engine does with a type (read it,
 * normalise it, name it, reference it, check permissions, write it) follows from this record;
 * adding a type is adding one definition (and its simulator fixture), nothing else.
 */

export const workloadSchema = z.enum(['entra', 'intune', 'sharepoint', 'teams']);
export type Workload = z.infer<typeof workloadSchema>;

export const apiVersionSchema = z.enum(['v1.0', 'beta']);
export type ApiVersion = z.infer<typeof apiVersionSchema>;

/**
 * A path into an object: segments joined by '.', a segment ending in '[]' walks every element of
 * that array. 'conditions.users.includeGroups[]' names each id in that array;
 * 'assignments[].target.groupId' names the groupId of every assignment.
 */
export const objectPathSchema = z
  .string()
  .regex(/^[A-Za-z@][\w@.#-]*(\[\])?(\.[A-Za-z@][\w@.#-]*(\[\])?)*$/, 'a dotted path such as a.b[].c');

export const referenceSchema = z.object({
  path: objectPathSchema,
  /** A catalogue type name, or a lookup type (groups, users, ...) */
  target: z.string(),
  /** Values that are not ids and stay as they are (All, None, AllTrusted, ...). */
  keywords: z.array(z.string()).default([]),
});
export type Reference = z.infer<typeof referenceSchema>;

/** A sub-collection read per object and stored inline under `property` (settings of a settings catalog policy). */
export const childSchema = z.object({
  property: z.string(),
  /** Relative to the object's URL, e.g. 'settings' -> {path}/{id}/settings */
  path: z.string(),
  /** Server-side paged with @odata.nextLink */
  paged: z.boolean().default(true),
  /** Fields removed from every element (ids the server assigns to children, ...). */
  volatile: z.array(z.string()).default([]),
});
export type Child = z.infer<typeof childSchema>;

export const permissionSchema = z.object({
  /** Least privileged permission that reads the type (application permission unless delegatedOnly). */
  read: z.string(),
  /** Least privileged permission that writes the type; absent when the type is read-only. */
  write: z.string().optional(),
});

/** Documented Graph throttling that applies to the type; requests of one bucket share the budget. */
export const throttleBucketSchema = z.enum(['conditionalAccess', 'intune', 'directory', 'sharepoint', 'default']);
export type ThrottleBucket = z.infer<typeof throttleBucketSchema>;

/**
 * A value that Graph redacts or encrypts (a secret): never sent back as a literal. A plain path
 * names every value it reaches; `when` limits it to values whose sibling `field` (a property of
 * the same object as the value) equals `equals`, e.g. the value of an OMA setting whose
 * isEncrypted is true.
 */
export const redactedPathSchema = z.union([
  objectPathSchema,
  z.object({
    path: objectPathSchema,
    when: z.object({ field: z.string(), equals: z.union([z.string(), z.boolean(), z.number()]) }),
  }),
]);
export type RedactedPath = z.infer<typeof redactedPathSchema>;

export const writeSchema = z.object({
  /** How a new object is made; absent for singletons and types that cannot be created. */
  create: z
    .object({
      method: z.literal('POST').default('POST'),
      /** Relative path, default: the collection itself. */
      path: z.string().optional(),
    })
    .optional(),
  update: z.object({
    method: z.enum(['PATCH', 'PUT']).default('PATCH'),
    /** Relative to the object's URL; default: the object itself ('{id}'). */
    path: z.string().optional(),
    /** Graph wants @odata.type in the PATCH body (named locations). */
    includeODataType: z.boolean().default(false),
    /** Properties never sent on update (immutable after create). */
    omit: z.array(z.string()).default([]),
  }),
  delete: z.boolean().default(true),
  /** Properties that exist only on create (compliance policies' scheduledActionsForRule). */
  createOnly: z.array(z.string()).default([]),
  /** Written through an action instead of the property (Intune assignments through /assign). */
  assignments: z
    .object({
      property: z.string().default('assignments'),
      action: z.string().default('assign'),
      /** Body property of the action, e.g. 'assignments' or 'deviceManagementScriptAssignments'. */
      bodyProperty: z.string().default('assignments'),
    })
    .optional(),
  /** Properties written through a separate action (authentication strength allowedCombinations). */
  actions: z
    .array(
      z.object({
        property: z.string(),
        /** Relative to the object's URL, e.g. 'updateAllowedCombinations' */
        path: z.string(),
        method: z.enum(['POST', 'PATCH', 'PUT']).default('POST'),
        /** The body sent is { [bodyProperty]: value } */
        bodyProperty: z.string(),
      }),
    )
    .default([]),
  /**
   * Values Graph redacts (secrets): dropped from every request body, and ignored when a write is
   * verified. The file keeps what Graph returned (a redacted or encrypted value), which is never
   * deployed as a literal.
   */
  redacted: z.array(redactedPathSchema).default([]),
});
export type WriteSemantics = z.infer<typeof writeSchema>;

export const resourceDefinitionSchema = z.object({
  /** Stable name used in tenant-sync.yml and as the folder name: camelCase, e.g. conditionalAccessPolicies */
  type: z.string().regex(/^[a-z][A-Za-z0-9]*$/),
  workload: workloadSchema,
  /** What a person reads: 'Conditional access policies' */
  title: z.string(),
  /** Link to the Graph documentation of the resource */
  docs: z.string().url(),
  api: apiVersionSchema,
  /**
   * The Graph type of the objects, namespace-qualified: 'microsoft.graph.conditionalAccessPolicy'.
   * Looked up among the v1.0 or the beta types according to `api`. A polymorphic type names its
   * base type (microsoft.graph.deviceConfiguration); each object's @odata.type then picks one of
   * the types derived from it. `validate` checks every file's properties against it
   * (src/resources/graphSchema.ts); a type without one is not checked.
   */
  graphType: z
    .string()
    .regex(/^microsoft\.graph\.([a-z][A-Za-z0-9]*\.)*[a-z][A-Za-z0-9]*$/, "a Graph type name such as 'microsoft.graph.conditionalAccessPolicy'")
    .optional(),
  /** Path under the version root, e.g. '/identity/conditionalAccess/policies' */
  path: z.string().startsWith('/'),
  kind: z.enum(['collection', 'singleton']),
  /** Field that holds the object's id (collections). */
  key: z.string().default('id'),
  /** Field that holds the name files and references use. */
  nameField: z.string().default('displayName'),
  /** Singletons: the file name (without .json). */
  singletonName: z.string().optional(),
  /** Query parameters of the list request ($expand, $filter, $select). */
  listQuery: z.record(z.string(), z.string()).default({}),
  /**
   * The list response lacks properties that a GET by id returns; each object is then read again by
   * id (batched with $batch). Query parameters for that GET.
   */
  detail: z.object({ query: z.record(z.string(), z.string()).default({}) }).optional(),
  children: z.array(childSchema).default([]),
  /** Server-generated and volatile fields removed before files are written (besides the common ones). */
  volatile: z.array(objectPathSchema).default([]),
  /** Objects that exist in every tenant and cannot be changed (built-in policies); backed up, never written. */
  readOnlyWhen: z
    .union([
      z.object({ field: z.string(), equals: z.union([z.string(), z.boolean(), z.number()]) }),
      z.object({ field: z.string(), startsWith: z.string() }),
    ])
    .optional(),
  references: z.array(referenceSchema).default([]),
  permissions: permissionSchema,
  /** Only a signed-in user (delegated token) can read or write the type. */
  delegatedOnly: z.boolean().default(false),
  throttle: throttleBucketSchema.default('default'),
  write: writeSchema.optional(),
  /** Types whose objects this type references; deploy writes those first. */
  dependsOn: z.array(z.string()).default([]),
  /** Types that are backed up only when enabled explicitly. */
  enabledByDefault: z.boolean().default(true),
});

export type ResourceDefinitionInput = z.input<typeof resourceDefinitionSchema>;
export type ResourceDefinition = z.infer<typeof resourceDefinitionSchema>;

/**
 * Lookup types are directory objects that configuration refers to (groups, users, ...). They are
 * not backed up as files; their names replace their ids in the files that reference them.
 */
export const lookupDefinitionSchema = z.object({
  type: z.string().regex(/^[a-z][A-Za-z0-9]*$/),
  title: z.string(),
  api: apiVersionSchema,
  /** Collection path, e.g. '/groups'; objects are read as {path}/{id}?$select={key},{nameField} */
  path: z.string().startsWith('/'),
  key: z.string().default('id'),
  nameField: z.string(),
  permissions: z.object({ read: z.string() }),
  throttle: throttleBucketSchema.default('directory'),
});
export type LookupDefinitionInput = z.input<typeof lookupDefinitionSchema>;
export type LookupDefinition = z.infer<typeof lookupDefinitionSchema>;

/** Built-in objects are backed up like any other but never written */
export function isReadOnlyObject(def: ResourceDefinition, object: Record<string, unknown>): boolean {
  const rule = def.readOnlyWhen;
  if (!rule) return false;
  const value = object[rule.field];
  return 'equals' in rule ? value === rule.equals : typeof value === 'string' && value.startsWith(rule.startsWith);
}

export function defineResource(input: ResourceDefinitionInput): ResourceDefinition {
  return resourceDefinitionSchema.parse(input);
}

export function defineLookup(input: LookupDefinitionInput): LookupDefinition {
  return lookupDefinitionSchema.parse(input);
}
