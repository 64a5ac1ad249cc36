using System.Text.Json;
using System.Text.Json.Nodes;
using FlowFunctions.Core.Runs;

namespace FlowFunctions.Engine.Activities.Handlers;

/// <summary>
/// <c>fail</c>, a test activity: with <c>times: n</c> executions 1..n fail transiently with <c>message</c> and later ones
/// succeed with <c>output</c>; without <c>times</c> every execution fails. Execution numbers are absolute, so the
/// behaviour is the same whether retries happen inline or as durable timers.
/// </summary>
internal sealed class FailHandler : IActivityHandler
{
    public string NodeType => "fail";

    public Task<JsonNode?> ExecuteAsync(ActivityExecution execution, CancellationToken cancellationToken)
    {
        var with = execution.Input switch
        {
            null => new JsonObject(),
            JsonObject value => value,
            _ => throw new ActivityException("fail: 'with' must be a mapping", ErrorClass.Permanent),
        };

        var message = with["message"] switch
        {
            null => "failed",
            JsonValue value when value.TryGetValue<string>(out var text) => text,
            _ => throw new ActivityException("fail: 'message' must be a string", ErrorClass.Permanent),
        };

        var times = with["times"] switch
        {
            null => (int?)null,
            JsonValue value when value.GetValueKind() == JsonValueKind.Number && TryGetInt(value, out var count) && count >= 0 => count,
            _ => throw new ActivityException("fail: 'times' must be a non-negative integer", ErrorClass.Permanent),
        };

        if (times is null || execution.Execution <= times)
        {
            throw new ActivityException(message, ErrorClass.Transient);
        }

        return Task.FromResult(with["output"]?.DeepClone());
    }

    private static bool TryGetInt(JsonValue value, out int result)
    {
        if (value.TryGetValue(out result))
        {
            return true;
        }

        if (value.TryGetValue<long>(out var integer) && integer is >= 0 and <= int.MaxValue)
        {
            result = (int)integer;
            return true;
        }

        if (value.TryGetValue<double>(out var number) && number == Math.Floor(number) && number is >= 0 and <= int.MaxValue)
        {
            result = (int)number;
            return true;
        }

        return false;
    }
}
