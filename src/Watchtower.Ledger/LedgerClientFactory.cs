using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Watchtower.Ledger.Horizon;
using Watchtower.Ledger.Rpc;

namespace Watchtower.Ledger;

public static class LedgerClientFactory
{
    /// <summary>The client of the configured kind.</summary>
    public static ILedgerClient Create(LedgerClientOptions options, HttpClient http, TimeProvider time, ILoggerFactory? logs = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.Kind switch
        {
            LedgerApiKind.Horizon => new HorizonLedgerClient(http, options, time, logs?.CreateLogger<HorizonLedgerClient>()),
            LedgerApiKind.Rpc => new RpcLedgerClient(http, options, time, logs?.CreateLogger<RpcLedgerClient>()),
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Kind, "unknown ledger API kind"),
        };
    }

    /// <summary>
    /// Registers <see cref="ILedgerClient"/> (singleton) built from <see cref="LedgerClientOptions"/>;
    /// the caller binds and validates the options. Needs a <see cref="TimeProvider"/> registration (falls back to the system clock).
    /// An <see cref="ILedgerClient"/> registered earlier (e.g. a test double) is kept.
    /// </summary>
    public static IServiceCollection AddLedgerClient(this IServiceCollection services)
    {
        services.AddHttpClient(nameof(ILedgerClient), c => c.Timeout = TimeSpan.FromSeconds(100));
        services.TryAddSingleton<ILedgerClient>(sp => Create(
            sp.GetRequiredService<IOptions<LedgerClientOptions>>().Value,
            sp.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ILedgerClient)),
            sp.GetService<TimeProvider>() ?? TimeProvider.System,
            sp.GetService<ILoggerFactory>()));
        return services;
    }
}
