// Safelight's local ESLint rules (plain ESM so lint needs no build step).
//
// - no-byte-array-equality (typed): `===`/`!==`/`==`/`!=` where both sides are byte arrays
//   (Uint8Array, Buffer, ArrayBuffer, ...). That compares object identity, never contents:
//   use bytesEqual / constant-time compare instead.
// - no-secret-equality (syntactic heuristic): `===`/`!==`/`==`/`!=` between two non-constant
//   operands where either operand's name (identifier, member property, or called function) ends
//   in mac, hmac, tag, token, secret, hash or digest (camelCase or snake_case, any case). Such
//   comparisons leak timing; use timingSafeEqual from node:crypto or the protocol's constant-time
//   equalBytes. Comparisons against literals, null/undefined, `typeof`, `.length`,
//   SCREAMING_CASE constants and enum-like members (Tag.Welcome) are not flagged.

const BYTE_TYPES = new Set([
  "Uint8Array",
  "Uint8ClampedArray",
  "Int8Array",
  "Buffer",
  "ArrayBuffer",
  "SharedArrayBuffer",
  "DataView",
]);
const EQUALITY = new Set(["===", "!==", "==", "!="]);

function hasByteArrayPart(type) {
  if (type.isUnion() || type.isIntersection()) return type.types.some(hasByteArrayPart);
  const symbol = type.getSymbol() ?? type.aliasSymbol;
  if (symbol && BYTE_TYPES.has(symbol.getName())) return true;
  // Subclasses and interfaces extending Uint8Array (e.g. Buffer<ArrayBufferLike>).
  const bases = typeof type.getBaseTypes === "function" && type.isClassOrInterface() ? type.getBaseTypes() ?? [] : [];
  return bases.some(hasByteArrayPart);
}

const noByteArrayEquality = {
  meta: {
    type: "problem",
    docs: { description: "Forbid ===/!== on byte arrays (compares identity, not contents)" },
    schema: [],
    messages: {
      byteArrayEquality:
        "`{{op}}` on byte arrays compares object identity, not contents. Compare the bytes (constant-time where secret).",
    },
  },
  create(context) {
    const services = context.sourceCode.parserServices;
    if (!services?.program || !services.esTreeNodeToTSNodeMap) {
      throw new Error("safelight/no-byte-array-equality needs type information (parserOptions.projectService)");
    }
    const checker = services.program.getTypeChecker();
    const typeOf = (node) => checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node));
    return {
      BinaryExpression(node) {
        if (!EQUALITY.has(node.operator)) return;
        if (hasByteArrayPart(typeOf(node.left)) && hasByteArrayPart(typeOf(node.right))) {
          context.report({ node, messageId: "byteArrayEquality", data: { op: node.operator } });
        }
      },
    };
  },
};

// The last word of the name, camelCase (authTag, expectedHmac) or snake_case (prev_hash, mac).
const SECRET_WORD = /(?:^|_)(?:h?mac|tag|token|secret|hash|digest)$/i;
const SECRET_CAMEL = /[a-z0-9](?:H?mac|Hmac|HMAC|MAC|Tag|Token|Secret|Hash|Digest)$/;
export const SECRET_NAME = { test: (name) => SECRET_WORD.test(name) || SECRET_CAMEL.test(name) };

function operandName(node) {
  if (node.type === "ChainExpression") return operandName(node.expression);
  if (node.type === "TSNonNullExpression" || node.type === "TSAsExpression") return operandName(node.expression);
  if (node.type === "Identifier") return node.name;
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier") return node.property.name;
  if (node.type === "CallExpression") return operandName(node.callee);
  return undefined;
}

function isConstantOperand(node) {
  if (node.type === "Literal" || node.type === "TemplateLiteral" && node.expressions.length === 0) return true;
  if (node.type === "Identifier" && node.name === "undefined") return true;
  if (node.type === "UnaryExpression") return true; // typeof x, -1, !x
  if (node.type === "MemberExpression" && !node.computed && node.property.type === "Identifier" && node.property.name === "length") return true;
  // SCREAMING_CASE constants and enum-like members (Tag.Welcome, Kind.TAG) are not secrets.
  const name = operandName(node);
  if (name && /^[A-Z][A-Z0-9_]*$/.test(name)) return true;
  if (node.type === "MemberExpression" && node.object.type === "Identifier" && /^[A-Z]/.test(node.object.name)) return true;
  return false;
}

const noSecretEquality = {
  meta: {
    type: "problem",
    docs: { description: "Forbid non-constant-time comparison of values named like MACs, tags, tokens, secrets and hashes" },
    schema: [],
    messages: {
      secretEquality:
        "`{{op}}` on `{{name}}` is not constant-time. Use timingSafeEqual (node:crypto) or a constant-time byte compare.",
    },
  },
  create(context) {
    return {
      BinaryExpression(node) {
        if (!EQUALITY.has(node.operator)) return;
        if (isConstantOperand(node.left) || isConstantOperand(node.right)) return;
        const name = [operandName(node.left), operandName(node.right)].find((n) => n && SECRET_NAME.test(n));
        if (name) context.report({ node, messageId: "secretEquality", data: { op: node.operator, name } });
      },
    };
  },
};

export default {
  meta: { name: "safelight" },
  rules: {
    "no-byte-array-equality": noByteArrayEquality,
    "no-secret-equality": noSecretEquality,
  },
};
