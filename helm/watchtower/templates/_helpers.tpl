{{/* Chart name, overridable. */}}
{{- define "watchtower.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Release-qualified name used as the prefix of every resource. */}}
{{- define "watchtower.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "watchtower.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Labels on every resource. Called with (dict "ctx" $ "component" "<role or purpose>").
*/}}
{{- define "watchtower.labels" -}}
helm.sh/chart: {{ include "watchtower.chart" .ctx }}
{{ include "watchtower.selectorLabels" . }}
app.kubernetes.io/version: {{ .ctx.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .ctx.Release.Service }}
app.kubernetes.io/part-of: watchtower
{{- end -}}

{{/* Selector labels; the component tells the roles apart. Same argument as watchtower.labels. */}}
{{- define "watchtower.selectorLabels" -}}
app.kubernetes.io/name: {{ include "watchtower.name" .ctx }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Selects the pods of every role (the metrics/health Service spans them all). */}}
{{- define "watchtower.instanceSelectorLabels" -}}
app.kubernetes.io/name: {{ include "watchtower.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "watchtower.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "watchtower.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "watchtower.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{- define "watchtower.keysSecretName" -}}
{{- default (printf "%s-keys" (include "watchtower.fullname" .)) .Values.keys.existingSecret -}}
{{- end -}}

{{- define "watchtower.connectionsSecretName" -}}
{{- default (printf "%s-connections" (include "watchtower.fullname" .)) .Values.connections.existingSecret -}}
{{- end -}}

{{/*
Full name the bitnami subchart gives its resources (common.names.fullname without overrides).
Called with (dict "ctx" $ "chart" "redis").
*/}}
{{- define "watchtower.subchartFullname" -}}
{{- if contains .chart .ctx.Release.Name -}}
{{- .ctx.Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .ctx.Release.Name .chart | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* PromQL label matchers for this release's scrape targets (Prometheus Operator labels). */}}
{{- define "watchtower.promSelector" -}}
namespace="{{ .Release.Namespace }}",service="{{ include "watchtower.fullname" . }}"
{{- end -}}

{{/*
Environment shared by every role: non-secret configuration from the ConfigMap (envFrom), connection
strings from the Secret. With the subcharts enabled the connection strings point at them, the
passwords coming from the subcharts' own Secrets through Kubernetes $(VAR) expansion.
*/}}
{{- define "watchtower.env" -}}
{{- if .Values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "watchtower.subchartFullname" (dict "ctx" . "chart" "redis") }}
      key: redis-password
- name: Tower__Redis
  value: "{{ include "watchtower.subchartFullname" (dict "ctx" . "chart" "redis") }}-master:6379,password=$(REDIS_PASSWORD)"
{{- else }}
- name: Tower__Redis
  valueFrom:
    secretKeyRef:
      name: {{ include "watchtower.connectionsSecretName" . }}
      key: redis-configuration
{{- end }}
{{- if .Values.rabbitmq.enabled }}
- name: RABBITMQ_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "watchtower.subchartFullname" (dict "ctx" . "chart" "rabbitmq") }}
      key: rabbitmq-password
- name: Tower__RabbitMq
  value: "amqp://{{ .Values.rabbitmq.auth.username }}:$(RABBITMQ_PASSWORD)@{{ include "watchtower.subchartFullname" (dict "ctx" . "chart" "rabbitmq") }}:5672/"
{{- else }}
- name: Tower__RabbitMq
  valueFrom:
    secretKeyRef:
      name: {{ include "watchtower.connectionsSecretName" . }}
      key: rabbitmq-uri
{{- end }}
{{- end -}}

{{/* Container ports, probes, mounts and security shared by every role. */}}
{{- define "watchtower.containerCommon" -}}
image: {{ include "watchtower.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
envFrom:
  - configMapRef:
      name: {{ include "watchtower.fullname" . }}
ports:
  - name: http
    containerPort: 8080
    protocol: TCP
livenessProbe:
  httpGet:
    path: /healthz
    port: http
  initialDelaySeconds: {{ .Values.probes.liveness.initialDelaySeconds | int64 }}
  periodSeconds: {{ .Values.probes.liveness.periodSeconds | int64 }}
  timeoutSeconds: {{ .Values.probes.liveness.timeoutSeconds | int64 }}
  failureThreshold: {{ .Values.probes.liveness.failureThreshold | int64 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: http
  initialDelaySeconds: {{ .Values.probes.readiness.initialDelaySeconds | int64 }}
  periodSeconds: {{ .Values.probes.readiness.periodSeconds | int64 }}
  timeoutSeconds: {{ .Values.probes.readiness.timeoutSeconds | int64 }}
  failureThreshold: {{ .Values.probes.readiness.failureThreshold | int64 }}
securityContext:
  {{- toYaml .Values.containerSecurityContext | nindent 2 }}
volumeMounts:
  - name: keys
    mountPath: {{ .Values.keys.mountPath }}
    readOnly: true
  - name: tmp
    mountPath: /tmp
{{- end -}}

{{/* Pod-level settings shared by every role. */}}
{{- define "watchtower.podCommon" -}}
serviceAccountName: {{ include "watchtower.serviceAccountName" . }}
automountServiceAccountToken: false
{{- if .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml .Values.imagePullSecrets | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
volumes:
  - name: keys
    secret:
      secretName: {{ include "watchtower.keysSecretName" . }}
      defaultMode: 0440
  - name: tmp
    emptyDir:
      sizeLimit: 64Mi
{{- end -}}

{{/* Pod annotations: a configuration change rolls every role. */}}
{{- define "watchtower.podAnnotations" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if .Values.podAnnotations }}
{{ toYaml .Values.podAnnotations }}
{{- end }}
{{- end -}}
