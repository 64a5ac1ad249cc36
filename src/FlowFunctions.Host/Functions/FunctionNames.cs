namespace FlowFunctions.Host.Functions;

/// <summary>
/// The functions of the app: each is a folder with a <c>function.json</c> under <c>Functions/definitions/</c>, and each
/// non-HTTP one is an endpoint <c>POST /{name}</c> that the Functions host calls (the custom-handler convention).
/// </summary>
internal static class FunctionNames
{
    /// <summary>Storage queue trigger on the control queue (run wake-ups and timers).</summary>
    public const string Control = "control";

    /// <summary>Storage queue trigger on the work queue (activity work items).</summary>
    public const string Work = "work";

    /// <summary>Storage queue trigger on the priority lane of the work queue (work made ready by commands).</summary>
    public const string PriorityWork = "work-priority";

    /// <summary>Storage queue trigger on the start queue (the local path for start-run messages).</summary>
    public const string StartRun = "start-run";

    /// <summary>Service Bus queue trigger for start-run messages (the Azure path).</summary>
    public const string StartRunServiceBus = "start-run-servicebus";

    /// <summary>Timer trigger: the housekeeping sweep.</summary>
    public const string Housekeeping = "housekeeping";

    /// <summary>HTTP trigger forwarding <c>/api/*</c> to the API (enableForwardingHttpRequest); no endpoint of ours.</summary>
    public const string Api = "api";

    /// <summary>The Storage queue of start-run messages (without the store's name prefix).</summary>
    public const string StartQueue = "flow-start";

    /// <summary>The Service Bus queue of start-run messages (infra/app/service-bus.bicep creates it).</summary>
    public const string ServiceBusStartQueue = "start-run";

    /// <summary>The connection name of the Service Bus trigger: the prefix of its app settings.</summary>
    public const string ServiceBusConnection = "ServiceBusConnection";

    /// <summary>The binding name of the trigger in every queue and Service Bus function.json.</summary>
    public const string MessageBinding = "message";

    /// <summary>The binding name of the timer trigger.</summary>
    public const string TimerBinding = "timer";
}
