using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Parsing;
using FlowFunctions.Core.Runs;
using FlowFunctions.Core.Specs;
using FlowFunctions.Core.Validation;
using FlowFunctions.Engine;
using FlowFunctions.Engine.Runs;
using FlowFunctions.Host.Api;

namespace FlowFunctions.Host.Functions;

/// <summary>What became of a start message.</summary>
internal enum StartOutcome
{
    /// <summary>A run was started.</summary>
    Started,

    /// <summary>The run of this message (or idempotency key) already existed: a redelivery, nothing to do.</summary>
    AlreadyStarted,

    /// <summary>The message can never start a run; it is in the dead-letter store.</summary>
    DeadLettered,
}

/// <summary>
/// Starts runs from queue messages <c>{workflow|spec, version?, inputs?, idempotencyKey?, correlationId?}</c>, from the
/// Storage queue or Service Bus. The run id is derived from the idempotency key, else from the message id, so a
/// redelivered message starts the same run, never a second one. Permanent problems go to <see cref="DeadLetterStore"/>
/// and count as handled; anything else (the store failing) throws so that the host retries the message.
/// </summary>
internal sealed partial class StartRunHandler(FlowEngine engine, IWorkflowCatalog catalog, DeadLetterStore deadLetters, ILogger<StartRunHandler> logger)
{
    /// <summary>The run id of a start message: <c>q-</c> and 32 hex digits of SHA-256 over the key (or the message id).</summary>
    public static string RunIdFor(string? idempotencyKey, string? messageId)
    {
        var source = idempotencyKey is not null ? "key:" + idempotencyKey : "msg:" + messageId;
        return "q-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source)))[..32];
    }

    /// <summary>Handles one delivered message.</summary>
    /// <param name="function">The function that delivered it (recorded with a dead letter).</param>
    /// <param name="body">The message text.</param>
    /// <param name="messageId">The broker's message id (queue <c>Id</c>, Service Bus <c>MessageId</c>).</param>
    /// <param name="metadata">The delivery metadata, kept with a dead letter.</param>
    /// <param name="cancellationToken">Cancels the work; the host then redelivers.</param>
    public async Task<(StartOutcome Outcome, string Detail)> HandleAsync(string function, string? body, string? messageId, JsonObject metadata, CancellationToken cancellationToken)
    {
        var problem = Read(body, out var message);
        if (problem is null && message is not null)
        {
            var key = message.IdempotencyKey;
            if (key is null && string.IsNullOrEmpty(messageId))
            {
                problem = "the message has no idempotencyKey and the delivery no message id: a redelivery could not be recognised";
            }
            else
            {
                var runId = RunIdFor(key, messageId);
                using var scope = logger.BeginScope(new Dictionary<string, object?> { ["RunId"] = runId, ["CorrelationId"] = message.CorrelationId });
                var (spec, specText, specProblem) = await ResolveSpecAsync(message, cancellationToken);
                problem = specProblem;
                if (spec is not null && specText is not null)
                {
                    var inputErrors = InputBinder.Bind(spec, message.Inputs).Errors;
                    if (!inputErrors.IsEmpty)
                    {
                        problem = "invalid inputs: " + string.Join("; ", inputErrors);
                    }
                    else
                    {
                        try
                        {
                            await engine.StartRunAsync(spec, specText, message.Inputs, runId, "queue:" + function, cancellationToken);
                            Log.Started(logger, runId, function, message.CorrelationId);
                            return (StartOutcome.Started, runId);
                        }
                        catch (RunAlreadyExistsException)
                        {
                            Log.AlreadyStarted(logger, runId, function);
                            return (StartOutcome.AlreadyStarted, runId);
                        }
                    }
                }
            }
        }

        if (await deadLetters.WriteAsync(function, problem!, body, messageId, metadata, cancellationToken))
        {
            Log.DeadLettered(logger, function, messageId, problem!);
        }
        else
        {
            Log.DeadLetteredBefore(logger, function, messageId);
        }

        return (StartOutcome.DeadLettered, problem!);
    }

    private static string? Read(string? body, out StartMessage? message)
    {
        message = null;
        if (string.IsNullOrWhiteSpace(body))
        {
            return "empty message";
        }

        JsonObject json;
        try
        {
            if (StrictJson.Parse(body) is not JsonObject parsed)
            {
                return "the message is not a JSON object";
            }

            json = parsed;
        }
        catch (JsonException ex)
        {
            return "the message is not JSON: " + ex.Message;
        }

        var hasSpec = json["spec"] is not null;
        var workflow = json["workflow"];
        if (hasSpec == (workflow is not null))
        {
            return "the message must have exactly one of 'workflow' and 'spec'";
        }

        if (json["inputs"] is not (null or JsonObject))
        {
            return "'inputs' must be an object";
        }

        if (!TryText(json, "idempotencyKey", out var key) || !TryText(json, "correlationId", out var correlation))
        {
            return "'idempotencyKey' and 'correlationId' must be strings";
        }

        if (key is not null && !IdempotencyKeys.IsValid(key))
        {
            return $"'idempotencyKey' must be 1-{IdempotencyKeys.MaxLength} visible ASCII characters";
        }

        int? version = null;
        if (json["version"] is { } v)
        {
            if (v is not JsonValue value || !value.TryGetValue<int>(out var number) || number < 1)
            {
                return "'version' must be a positive integer";
            }

            version = number;
        }

        string? workflowName = null;
        if (workflow is not null && (workflow is not JsonValue name || !name.TryGetValue(out workflowName) || workflowName.Length == 0))
        {
            return "'workflow' must be a workflow name";
        }

        message = new StartMessage(workflowName, version, json["spec"], (json["inputs"] as JsonObject)?.DeepClone().AsObject(), key, correlation);
        return null;
    }

    private static bool TryText(JsonObject json, string name, out string? text)
    {
        text = null;
        return json[name] switch
        {
            null => true,
            JsonValue value => value.TryGetValue(out text),
            _ => false,
        };
    }

    private async Task<(FlowSpec? Spec, string? Text, string? Problem)> ResolveSpecAsync(StartMessage message, CancellationToken ct)
    {
        string text;
        string origin;
        if (message.Workflow is { } name)
        {
            var found = await catalog.FindAsync(name, message.Version, ct);
            if (found is null)
            {
                return (null, null, message.Version is { } v ? $"unknown workflow '{name}' version {v}" : $"unknown workflow '{name}'");
            }

            text = found.SpecText;
            origin = $"workflow '{name}' version {found.Version}";
        }
        else if (message.Spec is JsonValue value && value.TryGetValue<string>(out var specText))
        {
            text = specText;
            origin = "spec";
        }
        else if (message.Spec is JsonObject)
        {
            text = message.Spec.ToJsonString();
            origin = "spec";
        }
        else
        {
            return (null, null, "'spec' must be an object or the text of a YAML or JSON spec");
        }

        var format = text.TrimStart().StartsWith('{') ? SpecFormat.Json : SpecFormat.Yaml;
        var result = SpecLoader.Load(text, format);
        return result.Spec is { } spec
            ? (spec, text, null)
            : (null, null, $"invalid {origin}: " + string.Join("; ", result.Errors.Take(10).Select(e => $"{e.Line}:{e.Column} {e.Message}")));
    }

    private sealed record StartMessage(string? Workflow, int? Version, JsonNode? Spec, JsonObject? Inputs, string? IdempotencyKey, string? CorrelationId);

    private static partial class Log
    {
        [LoggerMessage(Level = LogLevel.Information, Message = "Started run {RunId} from {Function} (correlation {CorrelationId})")]
        public static partial void Started(ILogger logger, string runId, string function, string? correlationId);

        [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} already exists: {Function} delivered its start message again")]
        public static partial void AlreadyStarted(ILogger logger, string runId, string function);

        [LoggerMessage(Level = LogLevel.Warning, Message = "Dead-lettered start message {MessageId} of {Function}: {Reason}")]
        public static partial void DeadLettered(ILogger logger, string function, string? messageId, string reason);

        [LoggerMessage(Level = LogLevel.Information, Message = "Start message {MessageId} of {Function} was dead-lettered before: {Function} delivered it again")]
        public static partial void DeadLetteredBefore(ILogger logger, string function, string? messageId);
    }
}
