package org.minitron4j.experiment;

import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.Objects;
import org.minitron4j.html.Fragments;
import org.minitron4j.html.HtmlRenderable;

/**
 * A paper's claim, what the paper reports, what this run measured, and whether the claim held at this scale: the
 * closing cell of every notebook in {@code papers/}. The verdict is computed by the notebook from its own numbers
 * ({@link #of}), never typed in.
 *
 * @param claim       the claim in one sentence, e.g. "width pruning beats depth pruning after retraining"
 * @param paper       where it comes from, e.g. "2408.11796, Table 1"
 * @param paperResult the paper's own numbers, as reported
 * @param ourResult   the numbers this run measured, formatted for reading
 * @param verdict     held, did not hold, or inconclusive (differences within noise, or the measure saturated)
 * @param reason      one sentence: which numbers decided the verdict
 */
@RecordBuilder
public record ClaimCheck(String claim, String paper, String paperResult, String ourResult, Verdict verdict,
                         String reason) implements HtmlRenderable {

    /**
     * A check built with named parts: {@code ClaimCheck.about("…").paper("…").paperResult("…").ourResult("…")
     * .verdict(Verdict.of(held)).reason("…").build()}.
     */
    public static ClaimCheckBuilder about(String claim) {
        return ClaimCheckBuilder.builder().claim(claim);
    }

    /** Whether a claim held at this scale. */
    public enum Verdict {
        HELD("held"), DID_NOT_HOLD("did not hold"), INCONCLUSIVE("inconclusive");

        private final String words;

        Verdict(String words) {
            this.words = words;
        }

        /** "held", "did not hold" or "inconclusive". */
        public String words() {
            return words;
        }

        /** {@link #HELD} when {@code held}, else {@link #DID_NOT_HOLD}. */
        public static Verdict of(boolean held) {
            return held ? HELD : DID_NOT_HOLD;
        }
    }

    public ClaimCheck {
        Objects.requireNonNull(claim, "claim");
        Objects.requireNonNull(paper, "paper");
        Objects.requireNonNull(paperResult, "paperResult");
        Objects.requireNonNull(ourResult, "ourResult");
        Objects.requireNonNull(verdict, "verdict");
        Objects.requireNonNull(reason, "reason");
    }

    /** A check whose verdict is {@link Verdict#of(boolean) held or not} from the notebook's own comparison. */
    public static ClaimCheck of(String claim, String paper, String paperResult, String ourResult, boolean held,
                                String reason) {
        return new ClaimCheck(claim, paper, paperResult, ourResult, Verdict.of(held), reason);
    }

    /** One line: "Claim: … — held (reason)". */
    public String sentence() {
        return "Claim: " + claim + " — " + verdict.words() + " at this scale (" + reason + ").";
    }

    @Override
    public String toString() {
        return sentence();
    }

    @Override
    public String toHtml() {
        String colour = switch (verdict) {
            case HELD -> "#1a7f37";
            case DID_NOT_HOLD -> "#cf222e";
            case INCONCLUSIVE -> "#9a6700";
        };
        return "<div class=\"m4j-claim\" style=\"border-left:4px solid " + colour + ";padding:4px 12px;margin:6px 0\">"
                + "<div style=\"font-weight:bold\">" + Fragments.escape(claim) + "</div>"
                + "<table style=\"margin-top:4px\">"
                + row("paper", paper) + row("paper reports", paperResult) + row("we measured", ourResult)
                + "<tr><th style=\"text-align:left;padding-right:12px\">verdict</th><td style=\"color:" + colour
                + ";font-weight:bold\">" + verdict.words() + " at this scale</td></tr>"
                + row("because", reason) + "</table></div>";
    }

    private static String row(String key, String value) {
        return "<tr><th style=\"text-align:left;padding-right:12px;vertical-align:top\">" + key + "</th><td>"
                + Fragments.escape(value) + "</td></tr>";
    }
}
