using System.Collections.Immutable;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FlowFunctions.Core.Expressions;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Specs;

namespace FlowFunctions.Core.Validation;

/// <summary>
/// Turns a parsed document into a <see cref="FlowSpec"/>, collecting every problem instead of stopping at the
/// first. Structure and types are checked here; the graph (needs, cycles, expression references) in <see cref="GraphChecker"/>.
/// </summary>
internal sealed partial class SpecBinder
{
    private static readonly string[] TopFields = ["name", "version", "description", "inputs", "defaults", "nodes", "outputs"];
    private static readonly string[] NodeFields = ["id", "type", "description", "needs", "with", "when", "trigger", "retry", "timeout", "deadline", "onFailure", "reduce", "items", "maxConcurrency", "node", "circuitBreaker", "cache"];
    private static readonly string[] MapOnlyFields = ["items", "maxConcurrency", "node"];
    private static readonly string[] TemplateFields = ["type", "with", "retry", "timeout", "circuitBreaker", "cache"];
    private static readonly string[] InputFields = ["type", "default", "required", "description"];
    private static readonly string[] DefaultsFields = ["retry", "timeout", "deadline", "onFailure", "circuitBreaker"];
    private static readonly string[] ActivityOnlyFields = ["circuitBreaker", "cache"];
    private static readonly string[] BreakerFields = ["key", "failureRatio", "minimumThroughput", "samplingDuration", "breakDuration"];
    private static readonly string[] CacheFields = ["ttl", "version", "key"];
    private static readonly string[] RetryFields = ["maxAttempts", "backoff", "delay", "maxDelay", "jitter", "retryOn"];
    private static readonly string[] ReduceFields = ["strategy", "conflict"];

    private static readonly Dictionary<string, NodeTrigger> Triggers = new(StringComparer.Ordinal)
    {
        ["all-succeeded"] = NodeTrigger.AllSucceeded,
        ["all-done"] = NodeTrigger.AllDone,
        ["any-succeeded"] = NodeTrigger.AnySucceeded,
    };

    private static readonly Dictionary<string, FailurePolicy> FailurePolicies = new(StringComparer.Ordinal)
    {
        ["fail"] = FailurePolicy.Fail,
        ["continue"] = FailurePolicy.Continue,
        ["pause"] = FailurePolicy.Pause,
    };

    private static readonly Dictionary<string, BackoffKind> Backoffs = new(StringComparer.Ordinal)
    {
        ["constant"] = BackoffKind.Constant,
        ["linear"] = BackoffKind.Linear,
        ["exponential"] = BackoffKind.Exponential,
    };

    private static readonly Dictionary<string, ReduceStrategy> Strategies = Enum.GetValues<ReduceStrategy>()
        .ToDictionary(s => s.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    private static readonly Dictionary<string, MergeConflict> Conflicts = Enum.GetValues<MergeConflict>()
        .ToDictionary(s => s.ToString().ToLowerInvariant(), StringComparer.Ordinal);

    private const string InputOutsideWith = "'input' is only set in the 'with' of a node that has 'reduce'; read nodes.<id>.output instead";

    private readonly SourceDocument _document;
    private readonly NodeTypeCatalog _catalog;
    private readonly List<SpecError> _errors = [];

    public SpecBinder(SourceDocument document, NodeTypeCatalog catalog)
    {
        _document = document;
        _catalog = catalog;
    }

    public IReadOnlyList<SpecError> Errors => _errors;

    public FlowSpec? Bind()
    {
        if (_document.Root is not JsonObject root)
        {
            // Say what the file holds instead: an empty file and a list of nodes need different fixes.
            Error(string.Empty, _document.Root is null
                ? "the spec is empty; it must be a mapping with at least 'name' and 'nodes'"
                : $"a spec must be a mapping with at least 'name' and 'nodes', not {InputTypes.Describe(_document.Root)}");
            return null;
        }

        CheckFields(root, string.Empty, TopFields);
        var name = RequiredString(root, string.Empty, "name");
        if (name is not null && !WorkflowName().IsMatch(name))
        {
            Error("/name", $"'{name}' is not a valid workflow name: use 1 to 64 lowercase letters, digits and '-', starting with a letter or digit");
        }

        var version = OptionalInteger(root, string.Empty, "version", 1, int.MaxValue) ?? 1;
        var description = OptionalString(root, string.Empty, "description");
        var inputs = BindInputs(root["inputs"]);
        var defaults = BindDefaults(root["defaults"]);
        var sites = new List<ExpressionSite>();
        var declaredIndexes = new List<int>();
        var nodes = BindNodes(root, defaults, sites, declaredIndexes);
        var outputs = BindOutputs(root["outputs"], sites);
        new GraphChecker(nodes, declaredIndexes, inputs, Error).Check(sites);

        return name is null ? null : new FlowSpec(name, (int)version, description, inputs, defaults, nodes, outputs);
    }

    private ImmutableArray<InputDeclaration> BindInputs(JsonNode? node)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonObject inputs)
        {
            Error("/inputs", "'inputs' must be a mapping of input names to declarations");
            return [];
        }

        var result = ImmutableArray.CreateBuilder<InputDeclaration>();
        foreach (var (inputName, value) in inputs)
        {
            var path = JsonPointer.Append("/inputs", inputName);
            if (!Identifier().IsMatch(inputName))
            {
                ErrorAtKey(path, $"'{inputName}' is not a valid input name: use letters, digits, '_' and '-', starting with a letter or '_'");
            }

            if (value is not JsonObject declaration)
            {
                Error(path, $"input '{inputName}' must be a mapping such as {{ type: string }}");
                continue;
            }

            CheckFields(declaration, path, InputFields);
            var type = RequiredEnum(declaration, path, "type", InputTypes.ByName);
            var required = OptionalBool(declaration, path, "required") ?? false;
            var description = OptionalString(declaration, path, "description");
            var defaultValue = declaration["default"];
            if (type is { } t && declaration.ContainsKey("default"))
            {
                if (!InputTypes.Matches(t, defaultValue))
                {
                    Error(path + "/default", $"the default of input '{inputName}' is {InputTypes.Describe(defaultValue)}, but its type is {InputTypes.Name(t)}");
                }
                else if (ContainsExpression(defaultValue))
                {
                    Error(path + "/default", "input defaults are literal values; expressions are not allowed here");
                }
            }

            result.Add(new InputDeclaration(inputName, type ?? InputType.String, defaultValue?.DeepClone(), required, description));
        }

        return result.ToImmutable();
    }

    private NodeDefaults BindDefaults(JsonNode? node)
    {
        if (node is null)
        {
            return NodeDefaults.None;
        }

        if (node is not JsonObject defaults)
        {
            Error("/defaults", "'defaults' must be a mapping with retry, timeout, deadline, onFailure or circuitBreaker");
            return NodeDefaults.None;
        }

        CheckFields(defaults, "/defaults", DefaultsFields);
        var timeout = OptionalDuration(defaults, "/defaults", "timeout", positive: true);
        var deadline = OptionalDuration(defaults, "/defaults", "deadline", positive: true);
        CheckDeadline(defaults, "/defaults", timeout, deadline);
        return new NodeDefaults(
            BindRetry(defaults["retry"], "/defaults/retry", RetryPolicy.None),
            timeout,
            OptionalEnum(defaults, "/defaults", "onFailure", FailurePolicies) ?? FailurePolicy.Fail,
            deadline,
            BindCircuitBreaker(defaults, "/defaults", null));
    }

    /// <summary>
    /// A deadline shorter than the per-attempt timeout would end the node before its first attempt could time out: an
    /// error, reported where one of the two is set (inherited pairs were checked in <c>defaults</c>).
    /// </summary>
    private void CheckDeadline(JsonObject obj, string path, TimeSpan? timeout, TimeSpan? deadline)
    {
        if (deadline is not { } d || timeout is not { } t || d >= t)
        {
            return;
        }

        var message = $"deadline ({Duration.Format(d)}) is shorter than the per-attempt timeout ({Duration.Format(t)}); the deadline covers every attempt, so it must be at least the timeout";
        if (obj.ContainsKey("deadline"))
        {
            Error(JsonPointer.Append(path, "deadline"), message);
        }
        else if (obj.ContainsKey("timeout"))
        {
            Error(JsonPointer.Append(path, "timeout"), message);
        }
    }

    private ImmutableArray<NodeSpec> BindNodes(JsonObject root, NodeDefaults defaults, List<ExpressionSite> sites, List<int> declaredIndexes)
    {
        if (!root.ContainsKey("nodes"))
        {
            Error(string.Empty, "missing required field 'nodes'");
            return [];
        }

        if (root["nodes"] is not JsonArray nodes || nodes.Count == 0)
        {
            Error("/nodes", "'nodes' must be a non-empty list of nodes");
            return [];
        }

        if (nodes.Count > SpecLoader.MaxNodes)
        {
            Error("/nodes", $"the spec declares {nodes.Count} nodes; the limit is {SpecLoader.MaxNodes}");
            return [];
        }

        var result = ImmutableArray.CreateBuilder<NodeSpec>(nodes.Count);
        var firstById = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < nodes.Count; i++)
        {
            var path = JsonPointer.Append("/nodes", i);
            if (nodes[i] is not JsonObject node)
            {
                Error(path, "a node must be a mapping with at least 'id' and 'type'");
                continue;
            }

            var bound = BindNode(node, path, defaults, sites);
            if (bound is null)
            {
                continue;
            }

            if (firstById.TryGetValue(bound.Id, out var first))
            {
                Error(path + "/id", $"duplicate node id '{bound.Id}' (first declared at /nodes/{first})");
                continue;
            }

            firstById[bound.Id] = i;
            declaredIndexes.Add(i);
            result.Add(bound);
        }

        return result.ToImmutable();
    }

    private NodeSpec? BindNode(JsonObject node, string path, NodeDefaults defaults, List<ExpressionSite> sites)
    {
        CheckFields(node, path, NodeFields);
        var id = RequiredString(node, path, "id");
        if (id is not null && !Identifier().IsMatch(id))
        {
            // Keep the id for the graph checks so that one bad id does not cascade into "unknown node" errors.
            Error(path + "/id", $"'{id}' is not a valid node id: use 1 to 64 letters, digits, '_' and '-', starting with a letter or '_'");
        }

        var owner = new ExpressionOwner(id);

        var typeName = RequiredString(node, path, "type");
        var type = typeName is null ? null : FindType(typeName, path + "/type");
        var isMap = type?.Kind == NodeKind.Map;
        if (type is not null && !isMap)
        {
            foreach (var field in MapOnlyFields.Where(node.ContainsKey))
            {
                ErrorAtKey(JsonPointer.Append(path, field), $"'{field}' is only valid on map nodes, and this node's type is '{typeName}'");
            }
        }

        var needs = BindNeeds(node["needs"], path + "/needs");
        var retry = BindRetry(node["retry"], path + "/retry", defaults.Retry);
        var timeout = OptionalDuration(node, path, "timeout", positive: true) ?? defaults.Timeout;
        var deadline = BindDeadline(node, path, type, defaults, timeout);
        var reduce = BindReduce(node, path, isMap, needs.Length);

        // The engine sets 'input' (the reduced outputs of the needs) only for a non-map node with 'reduce';
        // anywhere else it is always null, which is never what the author meant.
        var inputUnavailable = isMap || node["reduce"] is not null ? null
            : needs.IsEmpty ? "'input' is the combined output of a node's needs, and this node has no needs; did you mean 'inputs'?"
            : "'input' is only set when the node has 'reduce' (e.g. reduce: merge); add it, or read nodes.<id>.output";

        ValueTemplate with;
        if (isMap && node.ContainsKey("with"))
        {
            ErrorAtKey(path + "/with", "a map node has no 'with'; put the parameters in 'node.with', where 'item' and 'index' are in scope");
            with = CompileTemplate(null, path + "/with", sites, owner, inMapTemplate: false);
        }
        else
        {
            if (type?.ValidateWith is { } validate)
            {
                validate(NewWithChecker(node["with"], path));
            }

            with = CompileTemplate(node["with"], path + "/with", sites, owner, inMapTemplate: false, inputUnavailable);
        }

        var when = BindWhen(node, path, sites, owner);
        var map = isMap ? BindMap(node, path, retry, timeout, defaults.CircuitBreaker, sites, owner) : null;
        var isActivity = type is null || type.Kind == NodeKind.Activity;
        foreach (var field in ActivityOnlyFields.Where(f => node.ContainsKey(f) && !isActivity))
        {
            ErrorAtKey(JsonPointer.Append(path, field), isMap
                ? $"'{field}' is not valid on a map node; set it in the map's 'node' template, whose executions it governs"
                : $"'{field}' is only valid on activity nodes, and '{typeName}' does not call a handler");
        }

        var breaker = isActivity ? BindCircuitBreaker(node, path, defaults.CircuitBreaker) : null;
        var cache = isActivity ? BindCache(node, path, sites, owner, inMapTemplate: false) : null;

        if (id is null)
        {
            return null;
        }

        // A node of unknown type still joins the graph (as an activity) so that references to it check out;
        // the spec is rejected anyway because the type error was reported.
        return new NodeSpec
        {
            Id = id,
            Type = type?.Name ?? typeName ?? string.Empty,
            Kind = type?.Kind ?? NodeKind.Activity,
            Description = OptionalString(node, path, "description"),
            Needs = needs,
            With = with,
            When = when,
            Trigger = OptionalEnum(node, path, "trigger", Triggers) ?? NodeTrigger.AllSucceeded,
            Retry = retry,
            Timeout = timeout,
            Deadline = deadline,
            OnFailure = OptionalEnum(node, path, "onFailure", FailurePolicies) ?? defaults.OnFailure,
            Reduce = reduce,
            Map = map,
            CircuitBreaker = breaker,
            Cache = cache,
        };
    }

    /// <summary>A node's deadline: its own or the inherited one, for activity nodes only (others have nothing to bound).</summary>
    private TimeSpan? BindDeadline(JsonObject node, string path, NodeTypeDefinition? type, NodeDefaults defaults, TimeSpan? timeout)
    {
        var own = OptionalDuration(node, path, "deadline", positive: true);
        if (type is not null && type.Kind != NodeKind.Activity)
        {
            if (node.ContainsKey("deadline"))
            {
                ErrorAtKey(JsonPointer.Append(path, "deadline"), $"'deadline' applies to activity nodes (echo, fail, http, ...), and this node's type is '{type.Name}'");
            }

            return null;
        }

        if (own is null && node.ContainsKey("deadline"))
        {
            return null; // Invalid, and reported: comparing the inherited one with the timeout would only add noise.
        }

        var deadline = own ?? defaults.Deadline;
        CheckDeadline(node, path, timeout, deadline);
        return deadline;
    }

    private NodeTypeDefinition? FindType(string typeName, string path)
    {
        var type = _catalog.Find(typeName);
        if (type is null)
        {
            var hint = Suggestions.Hint(typeName, _catalog.Names);
            Error(path, $"unknown node type '{typeName}'{(hint.Length == 0 ? "." : hint)} Known types: {string.Join(", ", _catalog.Names)}");
        }

        return type;
    }

    /// <summary>A checker for the <c>with</c> of the node (or map template) at <paramref name="ownerPath"/>.</summary>
    private WithChecker NewWithChecker(JsonNode? with, string ownerPath) => new(
        with,
        (relative, message) => Error(ownerPath + "/with" + relative, message),
        (relative, message) => ErrorAtKey(ownerPath + "/with" + relative, message),
        message => Error(ownerPath, message));

    private ImmutableArray<string> BindNeeds(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                return [];
            case JsonValue v when v.TryGetValue<string>(out var single):
                return [single];
            case JsonArray array:
                var needs = ImmutableArray.CreateBuilder<string>(array.Count);
                for (var i = 0; i < array.Count; i++)
                {
                    if (array[i] is JsonValue item && item.TryGetValue<string>(out var need))
                    {
                        if (needs.Contains(need))
                        {
                            Error(JsonPointer.Append(path, i), $"'{need}' is listed twice in needs");
                        }
                        else
                        {
                            needs.Add(need);
                        }
                    }
                    else
                    {
                        Error(JsonPointer.Append(path, i), "each entry of needs must be a node id (a string)");
                    }
                }

                return needs.ToImmutable();
            default:
                Error(path, "'needs' must be a list of node ids");
                return [];
        }
    }

    private ValueTemplate? BindWhen(JsonObject node, string path, List<ExpressionSite> sites, ExpressionOwner owner)
    {
        if (!node.TryGetPropertyValue("when", out var when))
        {
            return null;
        }

        var isBoolean = when is JsonValue b && b.TryGetValue<bool>(out _);
        var isExpression = when is JsonValue s && s.TryGetValue<string>(out var text) && text.Contains("${{", StringComparison.Ordinal);
        if (!isBoolean && !isExpression)
        {
            Error(path + "/when", "'when' must be a ${{ }} expression or true/false");
            return null;
        }

        return CompileTemplate(when, path + "/when", sites, owner, inMapTemplate: false);
    }

    private MapSpec? BindMap(JsonObject node, string path, RetryPolicy retry, TimeSpan? timeout, CircuitBreakerPolicy? breaker, List<ExpressionSite> sites, ExpressionOwner owner)
    {
        if (!node.ContainsKey("items"))
        {
            Error(path, "missing required field 'items' (the list a map fans out over)");
        }

        var items = CompileTemplate(node["items"], path + "/items", sites, owner, inMapTemplate: false);
        if (node["items"] is { } rawItems && rawItems is not JsonArray && !ContainsExpression(rawItems))
        {
            Error(path + "/items", "'items' must be a list or a ${{ }} expression that evaluates to one");
        }

        var maxConcurrency = OptionalInteger(node, path, "maxConcurrency", 1, 10_000);
        var template = BindMapTemplate(node["node"], path + "/node", retry, timeout, breaker, sites, owner);
        return template is null ? null : new MapSpec(items, (int?)maxConcurrency, template);
    }

    private MapTemplate? BindMapTemplate(JsonNode? node, string path, RetryPolicy retry, TimeSpan? timeout, CircuitBreakerPolicy? breaker, List<ExpressionSite> sites, ExpressionOwner owner)
    {
        if (node is null)
        {
            Error(path[..path.LastIndexOf('/')], "missing required field 'node' (the node each item runs)");
            return null;
        }

        if (node is not JsonObject template)
        {
            Error(path, "'node' must be a mapping such as { type: echo, with: { name: \"${{ item }}\" } }");
            return null;
        }

        foreach (var (field, _) in template)
        {
            if (!TemplateFields.Contains(field))
            {
                ErrorAtKey(JsonPointer.Append(path, field), NodeFields.Contains(field)
                    ? $"'{field}' is not allowed in a map's node template; allowed fields are {string.Join(", ", TemplateFields)}"
                    : Suggestions.UnknownField(field, TemplateFields));
            }
        }

        var typeName = RequiredString(template, path, "type");
        var type = typeName is null ? null : FindType(typeName, path + "/type");
        if (type is not null && type.Kind is not (NodeKind.Activity or NodeKind.Inline))
        {
            Error(path + "/type", $"a map's node template must be an activity or transform type, not '{typeName}'");
            type = null;
        }

        type?.ValidateWith?.Invoke(NewWithChecker(template["with"], path));
        var with = CompileTemplate(template["with"], path + "/with", sites, owner, inMapTemplate: true);
        var templateRetry = BindRetry(template["retry"], path + "/retry", retry);
        var templateTimeout = OptionalDuration(template, path, "timeout", positive: true) ?? timeout;
        var isActivity = type is null || type.Kind == NodeKind.Activity;
        foreach (var field in ActivityOnlyFields.Where(f => template.ContainsKey(f) && !isActivity))
        {
            ErrorAtKey(JsonPointer.Append(path, field), $"'{field}' is only valid on activity nodes, and '{typeName}' does not call a handler");
        }

        var templateBreaker = isActivity ? BindCircuitBreaker(template, path, breaker) : null;
        var cache = isActivity ? BindCache(template, path, sites, owner, inMapTemplate: true) : null;
        return type is null ? null : new MapTemplate(type.Name, type.Kind, with, templateRetry, templateTimeout, templateBreaker, cache);
    }

    private ReduceSpec? BindReduce(JsonObject node, string path, bool isMap, int needCount)
    {
        var raw = node["reduce"];
        if (raw is null)
        {
            return isMap ? ReduceSpec.Append : null;
        }

        if (!isMap && needCount == 0)
        {
            Error(path + "/reduce", "'reduce' combines the outputs of a node's needs (or a map's children), but this node has no needs");
        }

        if (raw is JsonValue v && v.TryGetValue<string>(out var strategyName))
        {
            return ParseEnum(strategyName, path + "/reduce", Strategies) is { } strategy ? new ReduceSpec(strategy) : null;
        }

        if (raw is not JsonObject reduce)
        {
            Error(path + "/reduce", $"'reduce' must be a strategy ({string.Join(", ", Strategies.Keys)}) or a mapping with strategy and conflict");
            return null;
        }

        CheckFields(reduce, path + "/reduce", ReduceFields);
        var strategyValue = RequiredEnum(reduce, path + "/reduce", "strategy", Strategies);
        var conflict = OptionalEnum(reduce, path + "/reduce", "conflict", Conflicts);
        // Without a valid strategy there is nothing to say about conflict yet (the strategy error is reported).
        if (conflict is not null && strategyValue is { } chosen && chosen is not ReduceStrategy.Merge)
        {
            Error(path + "/reduce/conflict", "'conflict' only applies to the merge strategy");
        }

        return strategyValue is { } s ? new ReduceSpec(s, conflict ?? MergeConflict.Error) : null;
    }

    private RetryPolicy BindRetry(JsonNode? node, string path, RetryPolicy inherited)
    {
        if (node is null)
        {
            return inherited;
        }

        if (node is not JsonObject retry)
        {
            Error(path, "'retry' must be a mapping such as { maxAttempts: 3, backoff: exponential, delay: 1s }");
            return inherited;
        }

        CheckFields(retry, path, RetryFields);
        var policy = new RetryPolicy(
            (int)(OptionalInteger(retry, path, "maxAttempts", 1, RetryPolicy.MaxAttemptsLimit) ?? inherited.MaxAttempts),
            OptionalEnum(retry, path, "backoff", Backoffs) ?? inherited.Backoff,
            OptionalDuration(retry, path, "delay", positive: false) ?? inherited.Delay,
            OptionalDuration(retry, path, "maxDelay", positive: true) ?? inherited.MaxDelay,
            OptionalBool(retry, path, "jitter") ?? inherited.Jitter)
        {
            RetryOn = BindRetryOn(retry, path) ?? inherited.RetryOn,
        };
        if (policy.MaxDelay < policy.Delay && retry.ContainsKey("maxDelay"))
        {
            Error(path + "/maxDelay", $"maxDelay ({Duration.Format(policy.MaxDelay)}) is shorter than delay ({Duration.Format(policy.Delay)})");
        }
        else if (policy.MaxDelay < policy.Delay && retry.ContainsKey("delay"))
        {
            // The cap comes from defaults.retry (or the built-in 5m) and would silently shorten every delay.
            Error(path + "/delay", $"delay ({Duration.Format(policy.Delay)}) is longer than the inherited maxDelay ({Duration.Format(policy.MaxDelay)}); set maxDelay here too");
        }

        return policy;
    }

    /// <summary><c>retryOn</c>: a non-empty list of words and retryable HTTP statuses (a single entry may stand alone).</summary>
    private RetryOn? BindRetryOn(JsonObject retry, string path)
    {
        if (!retry.TryGetPropertyValue("retryOn", out var value))
        {
            return null;
        }

        var fieldPath = JsonPointer.Append(path, "retryOn");
        var items = value is JsonArray array ? array.ToList() : [value];
        if (items.Count == 0)
        {
            Error(fieldPath, "'retryOn' must list at least one entry (transient, timeout, connection, 5xx or a status such as 503); to turn retries off set maxAttempts: 1");
            return null;
        }

        var entries = new List<string>();
        for (var i = 0; i < items.Count; i++)
        {
            var itemPath = value is JsonArray ? JsonPointer.Append(fieldPath, i) : fieldPath;
            var text = items[i] switch
            {
                JsonValue v when v.TryGetValue<string>(out var s) => s,
                JsonValue v when v.TryGetValue<long>(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            };
            if (text is null)
            {
                Error(itemPath, $"a retryOn entry must be a word (transient, timeout, connection, 5xx) or an HTTP status, not {Render(items[i])}");
            }
            else if (!RetryOn.TryParseEntry(text, out var entry, out var error))
            {
                Error(itemPath, error!);
            }
            else
            {
                entries.Add(entry);
            }
        }

        return entries.Count == items.Count ? RetryOn.Of(entries) : null;
    }

    /// <summary>
    /// <c>circuitBreaker</c> of a node or of <c>defaults</c>: a mapping whose missing fields come from
    /// <paramref name="inherited"/> (then <see cref="CircuitBreakerPolicy.Default"/>), or <c>false</c> to opt out of the
    /// defaults' breaker.
    /// </summary>
    private CircuitBreakerPolicy? BindCircuitBreaker(JsonObject owner, string ownerPath, CircuitBreakerPolicy? inherited)
    {
        if (!owner.TryGetPropertyValue("circuitBreaker", out var node))
        {
            return inherited;
        }

        var path = ownerPath + "/circuitBreaker";
        if (node is JsonValue off && off.TryGetValue<bool>(out var enabled) && !enabled)
        {
            return null;
        }

        if (node is not JsonObject breaker)
        {
            Error(path, "'circuitBreaker' must be a mapping such as { failureRatio: 0.5, minimumThroughput: 5, breakDuration: 30s }, or false");
            return inherited;
        }

        CheckFields(breaker, path, BreakerFields);
        var basis = inherited ?? CircuitBreakerPolicy.Default;
        var key = OptionalString(breaker, path, "key");
        if (key is not null && (key.Length is 0 or > CircuitBreakerPolicy.MaxKeyLength || key.Contains("${{", StringComparison.Ordinal)))
        {
            Error(path + "/key", $"'key' must be a literal name of 1 to {CircuitBreakerPolicy.MaxKeyLength} characters (no expressions)");
            key = null;
        }

        return new CircuitBreakerPolicy(
            key ?? basis.Key,
            OptionalRatio(breaker, path, "failureRatio") ?? basis.FailureRatio,
            (int)(OptionalInteger(breaker, path, "minimumThroughput", 1, 1_000_000) ?? basis.MinimumThroughput),
            OptionalDuration(breaker, path, "samplingDuration", positive: true) ?? basis.SamplingDuration,
            OptionalDuration(breaker, path, "breakDuration", positive: true) ?? basis.BreakDuration);
    }

    /// <summary><c>cache</c> of a node: <c>ttl</c> (required), <c>version</c> and <c>key</c> (an expression template).</summary>
    private CachePolicy? BindCache(JsonObject owner, string ownerPath, List<ExpressionSite> sites, ExpressionOwner expressionOwner, bool inMapTemplate)
    {
        if (!owner.TryGetPropertyValue("cache", out var node))
        {
            return null;
        }

        var path = ownerPath + "/cache";
        if (node is not JsonObject cache)
        {
            Error(path, "'cache' must be a mapping such as { ttl: 1h, version: \"1\" }");
            return null;
        }

        CheckFields(cache, path, CacheFields);
        if (!cache.ContainsKey("ttl"))
        {
            Error(path, "missing required field 'ttl' (how long an output may be reused, e.g. 1h)");
        }

        var ttl = OptionalDuration(cache, path, "ttl", positive: true);
        var version = cache["version"] is JsonValue number && !number.TryGetValue<string>(out _) && InputTypes.Matches(InputType.Number, number)
            ? number.ToJsonString()
            : OptionalString(cache, path, "version") ?? string.Empty;
        var key = cache.ContainsKey("key") ? CompileTemplate(cache["key"], path + "/key", sites, expressionOwner, inMapTemplate) : null;
        return ttl is { } t ? new CachePolicy(t, version, key) : null;
    }

    private ImmutableArray<OutputDeclaration> BindOutputs(JsonNode? node, List<ExpressionSite> sites)
    {
        if (node is null)
        {
            return [];
        }

        if (node is not JsonObject outputs)
        {
            Error("/outputs", "'outputs' must be a mapping of output names to values or expressions");
            return [];
        }

        return [.. outputs.Select(o => new OutputDeclaration(o.Key, CompileTemplate(o.Value, JsonPointer.Append("/outputs", o.Key), sites, ExpressionOwner.RunOutputs, inMapTemplate: false)))];
    }

    /// <summary>
    /// Compiles a value for evaluation at run time and records every expression with its exact path, so that
    /// the graph checker can report references at the string that holds them.
    /// </summary>
    private ValueTemplate CompileTemplate(JsonNode? value, string path, List<ExpressionSite> sites, ExpressionOwner owner, bool inMapTemplate, string? inputUnavailable = InputOutsideWith)
    {
        VisitStrings(value, path, (text, stringPath) =>
        {
            var errors = new List<TemplateError>();
            var leaf = ValueTemplate.Compile(JsonValue.Create(text), errors);
            foreach (var error in errors)
            {
                Error(stringPath, error.Message);
            }

            sites.AddRange(leaf.Expressions.Select(e => new ExpressionSite(stringPath, e, owner, inMapTemplate, inputUnavailable)));
        });
        return ValueTemplate.Compile(value?.DeepClone(), new List<TemplateError>());
    }

    private static void VisitStrings(JsonNode? value, string path, Action<string, string> visit)
    {
        switch (value)
        {
            case JsonObject obj:
                foreach (var (name, member) in obj)
                {
                    VisitStrings(member, JsonPointer.Append(path, name), visit);
                }

                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                {
                    VisitStrings(array[i], JsonPointer.Append(path, i), visit);
                }

                break;
            case JsonValue v when v.TryGetValue<string>(out var text) && text.Contains("${{", StringComparison.Ordinal):
                visit(text, path);
                break;
        }
    }

    private static bool ContainsExpression(JsonNode? value)
    {
        var found = false;
        VisitStrings(value, string.Empty, (_, _) => found = true);
        return found;
    }

    private void CheckFields(JsonObject obj, string path, IReadOnlyList<string> allowed)
    {
        foreach (var (name, _) in obj)
        {
            if (!allowed.Contains(name))
            {
                ErrorAtKey(JsonPointer.Append(path, name), Suggestions.UnknownField(name, allowed));
            }
        }
    }

    private string? RequiredString(JsonObject obj, string path, string field)
    {
        if (!obj.ContainsKey(field))
        {
            Error(path, $"missing required field '{field}'");
            return null;
        }

        return OptionalString(obj, path, field);
    }

    private string? OptionalString(JsonObject obj, string path, string field)
    {
        var value = obj[field];
        if (value is null)
        {
            if (obj.ContainsKey(field))
            {
                Error(JsonPointer.Append(path, field), $"'{field}' must be a string, not null");
            }

            return null;
        }

        if (value is JsonValue v && v.TryGetValue<string>(out var text))
        {
            return text;
        }

        Error(JsonPointer.Append(path, field), $"'{field}' must be a string, not {InputTypes.Describe(value)}");
        return null;
    }

    private long? OptionalInteger(JsonObject obj, string path, string field, long min, long max)
    {
        if (!obj.TryGetPropertyValue(field, out var value))
        {
            return null;
        }

        if (value is JsonValue v && v.TryGetValue<long>(out var n) && n >= min && n <= max)
        {
            return n;
        }

        Error(JsonPointer.Append(path, field), $"'{field}' must be an integer from {min} to {max}, not {Render(value)}");
        return null;
    }

    /// <summary>A number in (0, 1].</summary>
    private double? OptionalRatio(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var value))
        {
            return null;
        }

        // YAML and JSON readers keep whole numbers as integers: 1 is as good a ratio as 1.0.
        double? ratio = value is not JsonValue v || v.TryGetValue<string>(out _) ? null
            : v.TryGetValue<double>(out var real) ? real
            : v.TryGetValue<long>(out var whole) ? whole
            : null;
        if (ratio is > 0 and <= 1)
        {
            return ratio;
        }

        Error(JsonPointer.Append(path, field), $"'{field}' must be a number greater than 0 and at most 1, not {Render(value)}");
        return null;
    }

    private bool? OptionalBool(JsonObject obj, string path, string field)
    {
        if (!obj.TryGetPropertyValue(field, out var value))
        {
            return null;
        }

        if (value is JsonValue v && v.TryGetValue<bool>(out var b))
        {
            return b;
        }

        Error(JsonPointer.Append(path, field), $"'{field}' must be true or false, not {Render(value)}");
        return null;
    }

    private TimeSpan? OptionalDuration(JsonObject obj, string path, string field, bool positive)
    {
        if (!obj.ContainsKey(field))
        {
            return null;
        }

        var fieldPath = JsonPointer.Append(path, field);
        if (obj[field] is not JsonValue v || !v.TryGetValue<string>(out var text))
        {
            Error(fieldPath, obj[field] is JsonValue number && InputTypes.Matches(InputType.Number, number)
                ? $"'{field}' is a bare number; durations need a unit, e.g. '{number.ToJsonString()}s' or '{number.ToJsonString()}ms'"
                : $"'{field}' must be a duration such as 30s, 5m or PT30S, not {Render(obj[field])}");
            return null;
        }

        if (!Duration.TryParse(text, out var duration, out var error))
        {
            Error(fieldPath, error!);
            return null;
        }

        if (positive && duration <= TimeSpan.Zero)
        {
            Error(fieldPath, $"'{field}' must be longer than zero");
            return null;
        }

        return duration;
    }

    private T? RequiredEnum<T>(JsonObject obj, string path, string field, IReadOnlyDictionary<string, T> values)
        where T : struct, Enum
    {
        if (!obj.ContainsKey(field))
        {
            Error(path, $"missing required field '{field}' (one of {string.Join(", ", values.Keys)})");
            return null;
        }

        return OptionalEnum(obj, path, field, values);
    }

    private T? OptionalEnum<T>(JsonObject obj, string path, string field, IReadOnlyDictionary<string, T> values)
        where T : struct, Enum
    {
        if (!obj.ContainsKey(field))
        {
            return null;
        }

        var fieldPath = JsonPointer.Append(path, field);
        if (obj[field] is JsonValue v && v.TryGetValue<string>(out var text))
        {
            return ParseEnum(text, fieldPath, values);
        }

        Error(fieldPath, $"'{field}' must be one of {string.Join(", ", values.Keys)}, not {Render(obj[field])}");
        return null;
    }

    private T? ParseEnum<T>(string text, string path, IReadOnlyDictionary<string, T> values)
        where T : struct, Enum
    {
        if (values.TryGetValue(text, out var value))
        {
            return value;
        }

        Error(path, $"'{text}' is not one of {string.Join(", ", values.Keys)}{Suggestions.Hint(text, values.Keys)}");
        return null;
    }

    private static string Render(JsonNode? value) => value switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => $"'{s}'",
        JsonValue v => v.ToJsonString(),
        _ => InputTypes.Describe(value),
    };

    private void Error(string path, string message)
    {
        var position = _document.PositionOf(path);
        _errors.Add(new SpecError(path, position.Line, position.Column, message));
    }

    private void ErrorAtKey(string path, string message)
    {
        var position = _document.KeyPositionOf(path);
        _errors.Add(new SpecError(path, position.Line, position.Column, message));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{0,63}$")]
    private static partial Regex WorkflowName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex Identifier();
}
