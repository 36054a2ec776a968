package dev.ember.server;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * /q/health/ready is UP once the first request can be answered: the model has finished its first load
 * and the server is not draining. It stays UP while the model is idle-unloaded (a request reloads it and
 * waits); see {@link ModelService}.
 */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {
    private final ModelService service;

    public ModelReadiness(ModelService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        String state = service.draining() ? "draining" : !service.ready() ? "loading" : service.loaded() ? "loaded" : "unloaded (reloads on demand)";
        return HealthCheckResponse.named("model").status(service.ready())
                .withData("model", service.modelName() == null ? "" : service.modelName()).withData("state", state).build();
    }
}
