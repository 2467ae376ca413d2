# syntax=docker/dockerfile:1
# One image for every tower role: `--role ingest|tail|respond|all` picks what the host runs.
# Built statically checked only (tests/Watchtower.Deploy.Tests): no Docker engine in the dev sandbox.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src

# Restore from project files alone so the package layer is reused until a project file changes.
COPY Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Watchtower.Stellar/Watchtower.Stellar.csproj src/Watchtower.Stellar/
COPY src/Watchtower.Protocol/Watchtower.Protocol.csproj src/Watchtower.Protocol/
COPY src/Watchtower.Ledger/Watchtower.Ledger.csproj src/Watchtower.Ledger/
COPY src/Watchtower.Contracts/Watchtower.Contracts.csproj src/Watchtower.Contracts/
COPY src/Watchtower.Tower/Watchtower.Tower.csproj src/Watchtower.Tower/
COPY src/Watchtower.Service/Watchtower.Service.csproj src/Watchtower.Service/
COPY src/Watchtower.Standalone/Watchtower.Standalone.csproj src/Watchtower.Standalone/
COPY src/Watchtower.Channels/Watchtower.Channels.csproj src/Watchtower.Channels/
COPY src/Watchtower.TowerClient/Watchtower.TowerClient.csproj src/Watchtower.TowerClient/
COPY src/Watchtower.Demo/Watchtower.Demo.csproj src/Watchtower.Demo/
COPY src/Watchtower.Cli/Watchtower.Cli.csproj src/Watchtower.Cli/
RUN dotnet restore src/Watchtower.Service/Watchtower.Service.csproj \
 && dotnet restore src/Watchtower.Cli/Watchtower.Cli.csproj

COPY src/ src/
# Framework-dependent, no apphost: the runtime image already carries the shared framework, and
# `dotnet <dll>` works the same on every architecture the base image is published for.
RUN dotnet publish src/Watchtower.Service/Watchtower.Service.csproj -c Release --no-restore \
      -p:UseAppHost=false -o /out/service \
 && dotnet publish src/Watchtower.Cli/Watchtower.Cli.csproj -c Release --no-restore \
      -p:UseAppHost=false -o /out/cli

# Chiseled Ubuntu: no shell, no package manager, non-root `app` user (UID 1654) built in.
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime
COPY --from=build /out/service /app/service
COPY --from=build /out/cli /app/cli
# The host's content root is the working directory: appsettings.json is read from here.
WORKDIR /app/service

# Read-only root filesystem: no diagnostics IPC socket, temporary files only under /tmp
# (an emptyDir in Kubernetes). Health and metrics share port 8080.
ENV DOTNET_EnableDiagnostics=0 \
    TMPDIR=/tmp \
    ASPNETCORE_HTTP_PORTS=8080 \
    Tower__Keys__ReceiptSecretFile=/etc/watchtower/keys/receipt-secret \
    Tower__Keys__SealingKeyFile=/etc/watchtower/keys/sealing-key
EXPOSE 8080
USER $APP_UID

# The chiseled image has no curl or shell, and the service has no self-probe mode, so the
# container declares no HEALTHCHECK: Kubernetes liveness/readiness probes hit /healthz and
# /readyz on port 8080 (see helm/watchtower and docs/deployment.md).
HEALTHCHECK NONE

ENTRYPOINT ["dotnet", "/app/service/Watchtower.Service.dll"]
CMD ["--role", "all"]
