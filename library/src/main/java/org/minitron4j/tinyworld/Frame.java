package org.minitron4j.tinyworld;

/**
 * A cause-and-effect frame such as "{A} could not carry {B}": it is explained either by A having the polarity
 * {@code adjA} of {@code attrA} ("because the cat was too weak") or by B having {@code adjB} of {@code attrB}
 * ("because the rock was too heavy").
 */
record Frame(int id, String template, Attribute attrA, boolean aHigh, Attribute attrB, boolean bHigh,
             boolean aAnimate, boolean bAnimate) {

    String adjA() {
        return aHigh ? attrA.high : attrA.low;
    }

    String adjB() {
        return bHigh ? attrB.high : attrB.low;
    }

    String render(Entity a, Entity b) {
        return template.replace("{A}", a.name()).replace("{B}", b.name());
    }

    private static boolean hasPolarity(Entity e, Attribute at, boolean high) {
        return high ? e.isHigh(at) : e.isLow(at);
    }

    /** Whether (a, b) fits the frame and each entity is unambiguous: b never has a's reason, a never has b's. */
    boolean valid(Entity a, Entity b) {
        if (a == b || (aAnimate && !a.animate()) || (bAnimate && !b.animate())) {
            return false;
        }
        return hasPolarity(a, attrA, aHigh) && hasPolarity(b, attrB, bHigh)
                && !hasPolarity(b, attrA, aHigh) && !hasPolarity(a, attrB, bHigh);
    }
}
