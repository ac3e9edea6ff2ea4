"""Catalog entries for the codes the loader, schema check and model builder emit (stage
"load"), so that `provisioner rules` documents every code a user can see. The checks
themselves live in yamlsource, loader, templating, schemacheck and assemble.
"""

from __future__ import annotations

from ..diagnostics import Severity
from .catalog import describe

E = Severity.ERROR
YAML_SPEC = "YAML 1.2 core schema; project loading rules (README)"

describe("YAML001", "The file is valid YAML", E, stage="load", source=YAML_SPEC,
         explanation="The file could not be parsed as YAML: a syntax error such as a bad indent, an "
         "unclosed quote or a tab used for indentation. Nothing in the file is read until it parses.",
         example_fix="Fix the indentation at the line shown; use spaces, never tabs.")
describe("YAML002", "No duplicate keys", E, stage="load", source=YAML_SPEC,
         explanation="A mapping names the same key twice. Most YAML readers silently keep the last "
         "value, which hides edits; the provisioner refuses the file and names both lines.",
         example_fix="Delete one of the two `offices:` keys and merge their values.")
describe("YAML003", "Mapping keys are strings", E, stage="load", source=YAML_SPEC,
         explanation="A key is read as a number, boolean, null or collection (e.g. `2026:` or `yes:`). "
         "Keys are field names and ids, so they must be strings.",
         example_fix="Quote the key: `\"2026\": ...`.")
describe("YAML004", "Aliases are bounded and not recursive", E, stage="load", source=YAML_SPEC,
         explanation="An alias refers to a node that contains it, or aliases expand to more than "
         "10,000 nodes (a 'billion laughs' document). The file is refused before it can exhaust memory.",
         example_fix="Write the repeated value out, or use one level of anchors.")
describe("YAML005", "Files are UTF-8", E, stage="load", source=YAML_SPEC,
         explanation="A byte in the file cannot be decoded as UTF-8, so names and e-mails would be "
         "misread. The position of the first bad byte is reported.",
         example_fix="Save the file as UTF-8 in your editor.")
describe("YAML006", "No custom tags", E, stage="load", source=YAML_SPEC,
         explanation="A value carries a tag (e.g. `!!python/object` or `!include`) outside the YAML "
         "1.2 core schema. Tags can execute code or hide content, so they are refused.",
         example_fix="Remove the tag and write the value plainly.")
describe("YAML007", "Nesting is bounded", E, stage="load", source=YAML_SPEC,
         explanation="Collections are nested more than 100 levels deep. No org description needs that "
         "many; such a file is a resource attack, so it is refused before it is composed.",
         example_fix="Flatten the structure: write the nested values as their own keys or documents.")
describe("YAML008", "Numbers are finite and of sane length", E, stage="load", source=YAML_SPEC,
         explanation="An integer is written with more than 100 digits, or a number is `.inf` or `.nan`. "
         "Counts, seats and limits never need either (an infinite limit would switch a guard off); "
         "an identifier that long is text and must be quoted.",
         example_fix="Quote it: `npi: \"1234567893\"`.")
describe("TPL001", "Templates render", E, stage="load", source="Jinja2 templates (*.yaml.j2), README",
         explanation="A `.yaml.j2` file has a Jinja syntax error or an expression failed while "
         "rendering; the file's documents are not read.",
         example_fix="Close the `{% for %}` block with `{% endfor %}`.")
describe("TPL002", "Template variables are defined", E, stage="load",
         source="Jinja2 templates (*.yaml.j2), README",
         explanation="A `.yaml.j2` file uses a variable that the Organization's `vars:` does not "
         "define. Undefined variables are errors rather than empty strings, so typos cannot erase values.",
         example_fix="Add `vars: {domain: riverside.example}` to the Organization document.")
describe("TPL003", "Templates do bounded work", E, stage="load",
         source="Jinja2 templates (*.yaml.j2), README",
         explanation="Rendering a `.yaml.j2` file would run more than 1,000,000 loop iterations in all, "
         "write more than 4 MiB, build a value of more than a million items or characters, compute a huge "
         "power, recurse without end or run for more than 10 seconds. It is stopped at that line.",
         example_fix="Loop over the list you need (`{% for p in payers %}`), not over `range(100000)`.")
describe("LOAD001", "The org is a folder of YAML files", E, stage="load", source="project layout (README)",
         explanation="The path given is not a folder, or holds no `*.yaml`, `*.yml` or `*.yaml.j2` "
         "file. An org is a folder of files; any number of documents per file.",
         example_fix="Run `provisioner validate orgs/riverside-health` on the folder, not a file.")
describe("LOAD002", "Only plain files inside the org folder are read", E, stage="load",
         source="project layout (README)",
         explanation="An entry of the org folder is refused and not read: a symlink that leaves the "
         "folder (e.g. to /etc/passwd), dangles or loops; a FIFO, socket or device; a file that cannot be "
         "read (permissions) or is larger than 8 MiB. Nothing is skipped in silence.",
         example_fix="Copy the file into the folder instead of linking to it; restore or delete a broken link.")
describe("DOC001", "Every document has `kind:`", E, stage="load", source="docs/domain.md (vocabulary)",
         explanation="A YAML document is not a mapping or has no `kind:`, so the provisioner cannot "
         "tell which schema applies.",
         example_fix="Start the document with `kind: Person`.")
describe("DOC002", "The kind is known", E, stage="load", source="docs/domain.md (vocabulary)",
         explanation="`kind:` names something other than Organization, Office, Person, Group, "
         "InsurancePlan or Waiver; a suggestion is offered for near misses.",
         example_fix="`kind: Office` rather than `kind: Ofice`.")
describe("SCHEMA001", "Documents match their schema", E, stage="load", source="schemas/*.schema.json",
         explanation="A field is missing, unknown, of the wrong type or outside its allowed values "
         "(for example an account type or user type the seeds do not know). Every schema property is "
         "documented in schemas/; the message names the field and suggests near misses.",
         example_fix="`account_type: office_staff` rather than `account_type: office-staff`.")
describe("ORG001", "Exactly one Organization per folder", E, stage="load", source="docs/domain.md (concepts)",
         explanation="An org folder describes one organization, which owns one master group and the "
         "policy. A folder with none, or with two, cannot be judged.",
         example_fix="Add `kind: Organization` with id, name and master_group, or move the second org "
         "into its own folder.")
describe("ID001", "Ids are unique", E, stage="load", source="docs/domain.md (vocabulary)",
         explanation="Two documents of one kind, or two EMR profiles, share an id. Ids are how plans "
         "and state recognise a record across runs, so they must be unique and never reused.",
         example_fix="Rename the second profile `maria-lopez-ot`.")
describe("REF001", "References resolve", E, stage="load", source="docs/domain.md (vocabulary)",
         explanation="A value names an office, person, insurance plan or call center that is not "
         "defined in the folder; a suggestion is offered for near misses.",
         example_fix="`offices: [eastside-rehab]` rather than `[eastside-rehb]`.")
