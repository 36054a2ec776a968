package dev.ember.server;

import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;
import jakarta.enterprise.context.ApplicationScoped;

/** /q/health/ready is UP only once the model is loaded and the engine runs. */
@Readiness
@ApplicationScoped
public class ModelReadiness implements HealthCheck {
    private final ModelService service;

    public ModelReadiness(ModelService service) {
        this.service = service;
    }

    @Override
    public HealthCheckResponse call() {
        return HealthCheckResponse.named("model").status(service.ready())
                .withData("model", service.ready() ? service.modelName() : "loading").build();
    }
}
